package cli

// Adapted from github.com/docker/cli/cli/cobra.go and cli/required.go
// (v28.2.2), Apache License 2.0.

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/twinbox-dev/twinbox/shared/cli/formatter"
	"github.com/twinbox-dev/twinbox/shared/cli/template"
)

// noArgs rejects arguments; for a command with subcommands it reports an
// unknown command.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if cmd.HasSubCommands() {
		return fmt.Errorf("%[1]s: unknown command: %[2]s %[3]s\n\nUsage:  %[4]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), args[0], cmd.UseLine())
	}
	return fmt.Errorf("%[1]s: '%[2]s' accepts no arguments\n\nUsage:  %[3]s\n\nRun '%[2]s --help' for more information",
		cmd.Root().Name(), cmd.CommandPath(), cmd.UseLine())
}

// requiresMinArgs rejects fewer than n arguments.
func requiresMinArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at least %[3]d %[4]s\n\nUsage:  %[5]s\n\nSee '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

// requiresMaxArgs rejects more than n arguments. (The "SRun" is docker's.)
func requiresMaxArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) <= n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at most %[3]d %[4]s\n\nUsage:  %[5]s\n\nSRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

// requiresRangeArgs rejects fewer than lo or more than hi arguments.
func requiresRangeArgs(lo, hi int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) >= lo && len(args) <= hi {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires at least %[3]d and at most %[4]d %[5]s\n\nUsage:  %[6]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), lo, hi, pluralize("argument", hi), cmd.UseLine())
	}
}

// exactArgs rejects any number of arguments but n.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == n {
			return nil
		}
		return fmt.Errorf("%[1]s: '%[2]s' requires %[3]d %[4]s\n\nUsage:  %[5]s\n\nRun '%[2]s --help' for more information",
			cmd.Root().Name(), cmd.CommandPath(), n, pluralize("argument", n), cmd.UseLine())
	}
}

func pluralize(word string, n int) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// flagErrorFunc reports a bad flag as docker does: exit 125 with the usage
// line.
func flagErrorFunc(cmd *cobra.Command, err error) error {
	if err == nil {
		return nil
	}
	return StatusError{
		Status:     fmt.Sprintf("%s\n\nUsage:  %s\n\nRun '%s --help' for more information", err, cmd.UseLine(), cmd.CommandPath()),
		StatusCode: 125,
	}
}

// usageFuncs are the functions of the usage and help templates: cobra's
// (its templateFuncs: docker's templates went through cobra's) and those
// docker's usage template adds.
var usageFuncs = template.FuncMap{
	"trim":                     strings.TrimSpace,
	"trimRightSpace":           trimRightSpace,
	"trimTrailingWhitespaces":  trimRightSpace,
	"appendIfNotPresent":       appendIfNotPresent,
	"rpad":                     rpad,
	"gt":                       cobra.Gt,
	"eq":                       cobra.Eq,
	"add":                      func(a, b int) int { return a + b },
	"hasAliases":               hasAliases,
	"hasSubCommands":           hasSubCommands,
	"hasTopCommands":           hasTopCommands,
	"hasManagementSubCommands": hasManagementSubCommands,
	"hasSwarmSubCommands":      func(*cobra.Command) bool { return false },
	"hasInvalidPlugins":        func(*cobra.Command) bool { return false },
	"topCommands":              topCommands,
	"commandAliases":           commandAliases,
	"operationSubCommands":     operationSubCommands,
	"managementSubCommands":    managementSubCommands,
	"orchestratorSubCommands":  func(*cobra.Command) []*cobra.Command { return nil },
	"invalidPlugins":           func(*cobra.Command) []*cobra.Command { return nil },
	"wrappedFlagUsages":        wrappedFlagUsages,
	"vendorAndVersion":         func(*cobra.Command) string { return "" },
	"invalidPluginReason":      func(*cobra.Command) string { return "" },
	"isPlugin":                 func(*cobra.Command) bool { return false },
	"isExperimental":           isExperimental,
	"hasAdditionalHelp":        hasAdditionalHelp,
	"additionalHelp":           additionalHelp,
	"decoratedName":            func(cmd *cobra.Command) string { return cmd.Name() + " " },
}

// cobra's template functions, which it does not export.
func trimRightSpace(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }

func appendIfNotPresent(s, stringToAppend string) string {
	if strings.Contains(s, stringToAppend) {
		return s
	}
	return s + " " + stringToAppend
}

func rpad(s string, padding int) string {
	return fmt.Sprintf(fmt.Sprintf("%%-%ds", padding), s)
}

// usageTmpl and helpTmpl are docker's usage and help templates, run as
// cobra runs the templates of SetUsageTemplate and SetHelpTemplate, but
// with the template engine of --format (see shared/cli/template): cobra's
// is Go's text/template, whose method lookup costs the browser's wasm
// megabytes.
var (
	usageTmpl = sync.OnceValue(func() *template.Template { return parseUsageTemplate(usageTemplate) })
	helpTmpl  = sync.OnceValue(func() *template.Template { return parseUsageTemplate(helpTemplate) })
)

func parseUsageTemplate(text string) *template.Template {
	return template.Must(template.New("top").Funcs(usageFuncs).Methods(formatter.MethodByName).Parse(text))
}

// usageFunc is cobra's default usage function with docker's usage
// template: it writes on the command's error output.
func usageFunc(cmd *cobra.Command) error {
	cmd.InheritedFlags() // for its cmd.mergePersistentFlags(), as cobra's does first
	err := usageTmpl().Execute(cmd.OutOrStderr(), cmd)
	if err != nil {
		cmd.PrintErrln(err)
	}
	return err
}

// helpFunc is cobra's default help function with docker's help template:
// it writes on the command's output.
func helpFunc(cmd *cobra.Command, _ []string) {
	cmd.InheritedFlags() // for its cmd.mergePersistentFlags(), as cobra's does first
	if err := helpTmpl().Execute(cmd.OutOrStdout(), cmd); err != nil {
		cmd.PrintErrln(err)
	}
}

// Annotations of the root command that the usage template reads: the
// terminal width and whether stdout is a terminal. cobra's template
// functions take only the command, so the run's terminal travels here.
const (
	annotationWidth    = "twinbox.width"
	annotationTerminal = "twinbox.terminal"
)

func isExperimental(cmd *cobra.Command) bool {
	if _, ok := cmd.Annotations["experimentalCLI"]; ok {
		return true
	}
	experimental := false
	cmd.VisitParents(func(cmd *cobra.Command) {
		if _, ok := cmd.Annotations["experimentalCLI"]; ok {
			experimental = true
		}
	})
	return experimental
}

func additionalHelp(cmd *cobra.Command) string {
	msg, ok := cmd.Annotations["additionalHelp"]
	if !ok {
		return ""
	}
	if cmd.Root().Annotations[annotationTerminal] != "true" {
		return msg
	}
	return "\x1b[1m" + msg + "\x1b[0m"
}

func hasAdditionalHelp(cmd *cobra.Command) bool { return additionalHelp(cmd) != "" }

func hasAliases(cmd *cobra.Command) bool {
	return len(cmd.Aliases) > 0 || cmd.Annotations["aliases"] != ""
}

func hasSubCommands(cmd *cobra.Command) bool { return len(operationSubCommands(cmd)) > 0 }

func hasManagementSubCommands(cmd *cobra.Command) bool { return len(managementSubCommands(cmd)) > 0 }

func hasTopCommands(cmd *cobra.Command) bool { return len(topCommands(cmd)) > 0 }

func commandAliases(cmd *cobra.Command) string {
	if cmd.Annotations["aliases"] != "" {
		return cmd.Annotations["aliases"]
	}
	var parentPath string
	if cmd.HasParent() {
		parentPath = cmd.Parent().CommandPath() + " "
	}
	aliases := cmd.CommandPath()
	for _, alias := range cmd.Aliases {
		aliases += ", " + parentPath + alias
	}
	return aliases
}

func topCommands(cmd *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{}
	if cmd.Parent() != nil {
		return cmds
	}
	for _, sub := range cmd.Commands() {
		if !sub.IsAvailableCommand() {
			continue
		}
		if _, ok := sub.Annotations["category-top"]; ok {
			cmds = append(cmds, sub)
		}
	}
	sort.SliceStable(cmds, func(i, j int) bool {
		return naturalLess(cmds[i].Annotations["category-top"], cmds[j].Annotations["category-top"])
	})
	return cmds
}

// naturalLess orders strings with their numbers compared by value ("2" <
// "10"), as github.com/fvbommel/sortorder (MIT License) does.
func naturalLess(str1, str2 string) bool {
	isDigit := func(b byte) bool { return '0' <= b && b <= '9' }
	idx1, idx2 := 0, 0
	for idx1 < len(str1) && idx2 < len(str2) {
		c1, c2 := str1[idx1], str2[idx2]
		dig1, dig2 := isDigit(c1), isDigit(c2)
		switch {
		case dig1 != dig2:
			return dig1
		case !dig1:
			if c1 != c2 {
				return c1 < c2
			}
			idx1++
			idx2++
		default:
			for ; idx1 < len(str1) && str1[idx1] == '0'; idx1++ {
			}
			for ; idx2 < len(str2) && str2[idx2] == '0'; idx2++ {
			}
			nonZero1, nonZero2 := idx1, idx2
			for ; idx1 < len(str1) && isDigit(str1[idx1]); idx1++ {
			}
			for ; idx2 < len(str2) && isDigit(str2[idx2]); idx2++ {
			}
			if len1, len2 := idx1-nonZero1, idx2-nonZero2; len1 != len2 {
				return len1 < len2
			}
			if nr1, nr2 := str1[nonZero1:idx1], str2[nonZero2:idx2]; nr1 != nr2 {
				return nr1 < nr2
			}
			if nonZero1 != nonZero2 {
				return nonZero1 < nonZero2
			}
		}
	}
	return len(str1) < len(str2)
}

func operationSubCommands(cmd *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{}
	for _, sub := range cmd.Commands() {
		if _, ok := sub.Annotations["category-top"]; ok && cmd.Parent() == nil {
			continue
		}
		if sub.IsAvailableCommand() && !sub.HasSubCommands() {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func managementSubCommands(cmd *cobra.Command) []*cobra.Command {
	cmds := []*cobra.Command{}
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() && sub.HasSubCommands() {
			cmds = append(cmds, sub)
		}
	}
	return cmds
}

func wrappedFlagUsages(cmd *cobra.Command) string {
	width := 80
	if w := cmd.Root().Annotations[annotationWidth]; w != "" {
		fmt.Sscan(w, &width)
	}
	return cmd.Flags().FlagUsagesWrapped(width - 1)
}

const usageTemplate = `Usage:

{{- if not .HasSubCommands}}  {{.UseLine}}{{end}}
{{- if .HasSubCommands}}  {{ .CommandPath}}{{- if .HasAvailableFlags}} [OPTIONS]{{end}} COMMAND{{end}}

{{if ne .Long ""}}{{ .Long | trim }}{{ else }}{{ .Short | trim }}{{end}}
{{- if isExperimental .}}

EXPERIMENTAL:
  {{.CommandPath}} is an experimental feature.
  Experimental features provide early access to product functionality. These
  features may change between releases without warning, or can be removed from a
  future release. Learn more about experimental features in our documentation:
  https://docs.docker.com/go/experimental/

{{- end}}
{{- if hasAliases . }}

Aliases:
  {{ commandAliases . }}

{{- end}}
{{- if .HasExample}}

Examples:
{{ .Example }}

{{- end}}
{{- if .HasParent}}
{{- if .HasAvailableFlags}}

Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}
{{- if hasTopCommands .}}

Common Commands:
{{- range topCommands .}}
  {{rpad (decoratedName .) (add .NamePadding 1)}}{{.Short}}
{{- end}}
{{- end}}
{{- if hasManagementSubCommands . }}

Management Commands:

{{- range managementSubCommands . }}
  {{rpad (decoratedName .) (add .NamePadding 1)}}{{.Short}}
{{- end}}

{{- end}}
{{- if hasSwarmSubCommands . }}

Swarm Commands:

{{- range orchestratorSubCommands . }}
  {{rpad (decoratedName .) (add .NamePadding 1)}}{{.Short}}
{{- end}}

{{- end}}
{{- if hasSubCommands .}}

Commands:

{{- range operationSubCommands . }}
  {{rpad .Name .NamePadding }} {{.Short}}
{{- end}}
{{- end}}

{{- if hasInvalidPlugins . }}

Invalid Plugins:

{{- range invalidPlugins . }}
  {{rpad .Name .NamePadding }} {{invalidPluginReason .}}
{{- end}}

{{- end}}
{{- if not .HasParent}}
{{- if .HasAvailableFlags}}

Global Options:
{{ wrappedFlagUsages . | trimRightSpace}}

{{- end}}
{{- end}}

{{- if .HasSubCommands }}

Run '{{.CommandPath}} COMMAND --help' for more information on a command.
{{- end}}
{{- if hasAdditionalHelp .}}

{{ additionalHelp . }}

{{- end}}
`

const helpTemplate = `
{{- if or .Runnable .HasSubCommands}}{{.UsageString}}{{end}}`

// joinLines is strings.Join with "\n".
func joinLines(lines ...string) string { return strings.Join(lines, "\n") }
