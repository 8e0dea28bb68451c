#!/usr/bin/env bash
# What .ci/run runs inside the loopback-only namespace: the fuzz targets
# briefly, then the README's test command with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

# Execution-count budgets, not durations: with go1.26 a duration -fuzztime
# can end in a spurious "context deadline exceeded" (golang/go#75804, fixed
# in Go 1.27). A real finding always writes a reproducer under testdata/fuzz.
fuzz() { go test -run '^$' -fuzz "^$1\$" -fuzztime "$3" "$2"; }
fuzz FuzzReadReply ./probe 30000x
fuzz FuzzReply ./dns 50000x
fuzz FuzzValidate ./dns/validate 5000x
fuzz FuzzEscape ./report 50000x
fuzz FuzzExplain ./explain 200000x
fuzz FuzzParseBounce ./explain 30000x
fuzz FuzzParse ./check/spf 50000x
fuzz FuzzParse ./check/dmarc 50000x
fuzz FuzzParseKey ./check/dkim 20000x
fuzz FuzzParsePolicy ./check/mtasts 50000x
fuzz FuzzVersioned ./check/tags 50000x
fuzz FuzzSVGTinyPS ./check/bimi 20000x
fuzz FuzzReceived ./check/message 30000x
fuzz FuzzAnalyze ./check/message 20000x

go test -race -count=1 ./...
