// step-ca: minimal server entry point around the commands package of the
// Debian golang-github-smallstep-certificates-dev sources (which ship no cmd/).
// Written for stride's interop harness; only wires the upstream start action.
package main

import (
	"fmt"
	"os"

	"github.com/smallstep/certificates/authority"
	"github.com/smallstep/certificates/commands"
	"github.com/urfave/cli"
	"go.step.sm/cli-utils/command"
	_ "go.step.sm/cli-utils/command/version"
	"go.step.sm/cli-utils/step"
)

// version is set by build-stepca.sh from the Debian package version.
var version = "0.19.0"

func main() {
	step.Set("Smallstep CA", version, "")
	authority.GlobalVersion.Version = version
	app := cli.NewApp()
	app.Name = "step-ca"
	app.Usage = "step-ca " + version + " (Debian sources) for stride interop tests"
	app.Version = step.Version()
	app.Flags = commands.AppCommand.Flags
	app.Action = commands.AppCommand.Action
	app.Commands = command.Retrieve()
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
