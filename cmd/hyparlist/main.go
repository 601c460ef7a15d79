// Command hyparlist is the hyparlist command-line tool. It dispatches to
// subcommands:
//
//	hyparlist demo [flags]   run a local cluster of real nodes: join,
//	                         broadcast, crash a part of it, heal,
//	                         broadcast again (see demo.go)
//	hyparlist sim [flags]    run the protocol simulator (see sim.go)
//
// Run "hyparlist help" for the list and "hyparlist <command> -h" for a
// command's flags. Each subcommand lives in its own file and registers
// itself with register.
package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// command is one subcommand of the tool.
type command struct {
	name    string
	summary string
	// run executes the command with its arguments (without the command
	// name) and returns the process exit code.
	run func(args []string, stdout, stderr io.Writer) int
}

// commands holds the registered subcommands, sorted by name.
var commands []command

// register adds a subcommand; each subcommand file calls it from init.
func register(c command) {
	commands = append(commands, c)
	slices.SortFunc(commands, func(a, b command) int { return strings.Compare(a.name, b.name) })
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches args to a subcommand and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "hyparlist: unknown command %q\n\n", name)
	usage(stderr)
	return 2
}

// usage prints the list of subcommands.
func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: hyparlist <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, `run "hyparlist <command> -h" for a command's flags`)
}
