// Command smtptool is a command-line SMTP diagnostics toolkit.
package main

import (
	"os"

	"github.com/smtptool/smtptool/cmd"
)

func main() { os.Exit(int(cmd.Main())) }
