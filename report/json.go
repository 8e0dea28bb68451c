package report

import (
	"encoding/json"
	"io"
)

// WriteJSON writes each report as one JSON object on its own line (JSON
// Lines), the machine format of DESIGN.md.
func WriteJSON(w io.Writer, reports ...*Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range reports {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
