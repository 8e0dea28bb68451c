// The words a bounce says of all its recipients, read once per bounce.

package explain

import (
	"slices"
	"strings"
)

// named are the providers whose hosts or domains a bounce's words name:
// the gates of their own wording, Sisimai's (rhostGates) and the
// receivers' (providerHosts).
type named struct{ rhost, receiver map[string]bool }

// namedIn is who s names.
func namedIn(s string) named {
	n := named{map[string]bool{}, map[string]bool{}}
	for name, re := range rhostGates {
		n.rhost[name] = re.MatchString(s)
	}
	for name, re := range providerHosts {
		n.receiver[name] = re.MatchString(s)
	}
	return n
}

// key lists who n names, one string for each set.
func (n named) key() string {
	var names []string
	for name, ok := range n.rhost {
		if ok {
			names = append(names, "rhost:"+name)
		}
	}
	for name, ok := range n.receiver {
		if ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// or is who n or m names.
func (n named) or(m named) named {
	out := named{map[string]bool{}, map[string]bool{}}
	for k, v := range n.rhost {
		out.rhost[k] = v || m.rhost[k]
	}
	for k, v := range n.receiver {
		out.receiver[k] = v || m.receiver[k]
	}
	return out
}

// wide is what a bounce says of all its recipients (a DSN's notification,
// the words before a text bounce's list of recipients, or all of a bounce
// about one recipient; at most wideLimit of them), and what those words
// give: each recipient is read with its own words and these, and reading
// these again for each one would cost the bounce's length per recipient.
type wide struct {
	text        string
	named       named
	words       string // wordsReason
	specific    string // specificWords
	known       string // knownReason
	command     string // command
	code        int
	enhanced    string
	stillTrying bool
	lists       []bool // which of sisimaiLists the text holds
	receivers   []int  // the receivers whose wording the text holds, in order
}

func readWide(text string) *wide {
	text = bounded(text)
	w := &wide{text: text, named: namedIn(text)}
	if text == "" {
		return w
	}
	lower := folded(text)
	w.words = wordsReason(text)
	w.specific = specificWords([]string{text})
	w.known = knownReason(lower)
	w.command = command(text)
	w.code, w.enhanced = codes(text)
	w.stillTrying = stillTrying.MatchString(text)
	w.lists = make([]bool, len(sisimaiLists))
	for i, k := range sisimaiLists {
		w.lists[i] = k.matches(lower)
	}
	t := strings.ToLower(text)
	for i, r := range receivers() {
		if r.re.MatchString(t) {
			w.receivers = append(w.receivers, i)
		}
	}
	return w
}

// recognized is the first receiver whose wording the wide text holds and
// whom n names (or who needs no naming).
func (w *wide) recognized(n named) (Receiver, bool) {
	for _, i := range w.receivers {
		if r := receivers()[i]; r.at == nil || n.receiver[r.Name] {
			return r, true
		}
	}
	return Receiver{}, false
}
