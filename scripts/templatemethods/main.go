// Command templatemethods writes shared/cli/formatter/methods_gen.go: the
// method lookup of docker's --format templates and of the usage and help
// templates (see shared/cli/template's README.md).
//
// A template's {{.Name}} calls the method Name of its value when there is
// one. Go's text/template finds it with reflect.Value.MethodByName(name),
// which makes the linker keep every exported method of every type that
// may be held in an interface: several megabytes of the browser's wasm.
// The generated lookup calls MethodByName with constant names instead,
// one for each exported method name of the types the templates may see:
// every type declared in shared/cli and its packages (the templates' data
// are among them: the formatters' row contexts, the views of inspect, the
// version and info structs), followed through their exported fields,
// elements, map keys and method results, and the field names of the
// usage and help templates (which run on *cobra.Command).
//
//	go run ./scripts/templatemethods          # rewrite the file
//	go run ./scripts/templatemethods -check   # fail if it is out of date
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/ast"
	"go/constant"
	"go/format"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"text/template/parse"
)

const (
	root   = "github.com/twinbox-dev/twinbox/shared/cli"
	output = "shared/cli/formatter/methods_gen.go"
)

// templateConsts are the package cli constants holding templates that run
// on values outside shared/cli (*cobra.Command): their field names are
// taken as they are written.
var templateConsts = []string{"usageTemplate", "helpTemplate"}

func main() {
	check := flag.Bool("check", false, "do not write: exit 1 if "+output+" is out of date")
	flag.Parse()
	src, err := generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "templatemethods:", err)
		os.Exit(1)
	}
	if *check {
		old, err := os.ReadFile(output)
		if err != nil || !bytes.Equal(old, src) {
			fmt.Fprintln(os.Stderr, "templatemethods: "+output+" is out of date: run go run ./scripts/templatemethods")
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(output, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "templatemethods:", err)
		os.Exit(1)
	}
}

type listed struct {
	importPath, dir, export string
	goFiles                 []string
}

// goList lists root's packages (but the template engine's) and their
// dependencies' export data, as the host builds them.
func goList() (pkgs []listed, exports map[string]string, err error) {
	cmd := exec.Command("go", "list", "-export", "-deps", "-f",
		"{{.ImportPath}}\t{{.Dir}}\t{{.Export}}\t{{join .GoFiles \" \"}}", root+"/...")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("go list: %w", err)
	}
	exports = map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return nil, nil, fmt.Errorf("go list: bad line %q", line)
		}
		p := listed{importPath: f[0], dir: f[1], export: f[2], goFiles: strings.Fields(f[3])}
		exports[p.importPath] = p.export
		if (p.importPath == root || strings.HasPrefix(p.importPath, root+"/")) &&
			!strings.HasPrefix(p.importPath, root+"/template") {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, exports, nil
}

func generate() ([]byte, error) {
	pkgs, exports, err := goList()
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok || f == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
	w := &walker{names: map[string]bool{}, seen: map[types.Type]bool{}}
	for _, p := range pkgs {
		var files []*ast.File
		for _, name := range p.goFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		info := &types.Info{Defs: map[*ast.Ident]types.Object{}}
		conf := types.Config{Importer: imp}
		pkg, err := conf.Check(p.importPath, fset, files, info)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p.importPath, err)
		}
		// Every type the package declares, function-local ones too.
		var objs []types.Object
		for _, obj := range info.Defs {
			if tn, ok := obj.(*types.TypeName); ok {
				objs = append(objs, tn)
			}
		}
		sort.Slice(objs, func(i, j int) bool { return objs[i].Pos() < objs[j].Pos() })
		for _, obj := range objs {
			if _, ok := obj.Type().(*types.TypeParam); !ok {
				w.visit(obj.Type())
			}
		}
		if p.importPath == root {
			for _, name := range templateConsts {
				c, ok := pkg.Scope().Lookup(name).(*types.Const)
				if !ok || c.Val().Kind() != constant.String {
					return nil, fmt.Errorf("%s: no string constant %s", root, name)
				}
				if err := w.templateFields(name, constant.StringVal(c.Val())); err != nil {
					return nil, err
				}
			}
		}
	}
	return w.source()
}

type walker struct {
	names map[string]bool
	seen  map[types.Type]bool
}

// visit adds the exported method names of t and *t, and visits what a
// template may reach from a value of type t.
func (w *walker) visit(t types.Type) {
	t = types.Unalias(t)
	if w.seen[t] {
		return
	}
	w.seen[t] = true
	switch u := t.(type) {
	case *types.Named:
		if u.TypeParams().Len() > 0 && u.TypeArgs().Len() == 0 {
			return // a generic type: its instances are visited
		}
		ms := types.NewMethodSet(t)
		if !types.IsInterface(t) {
			ms = types.NewMethodSet(types.NewPointer(t))
		}
		for m := range ms.Methods() {
			if m.Obj().Exported() {
				w.names[m.Obj().Name()] = true
				w.visit(m.Type())
			}
		}
		w.visit(u.Underlying())
	case *types.Pointer:
		w.visit(u.Elem())
	case *types.Struct:
		for f := range u.Fields() {
			if f.Exported() || f.Embedded() {
				w.visit(f.Type())
			}
		}
	case *types.Slice:
		w.visit(u.Elem())
	case *types.Array:
		w.visit(u.Elem())
	case *types.Map:
		w.visit(u.Key())
		w.visit(u.Elem())
	case *types.Chan:
		w.visit(u.Elem())
	case *types.Signature:
		for r := range u.Results().Variables() {
			w.visit(r.Type())
		}
	case *types.Interface:
		for m := range u.Methods() {
			if m.Exported() {
				w.names[m.Name()] = true
				w.visit(m.Type())
			}
		}
	}
}

// templateFields adds the field names a template's text uses.
func (w *walker) templateFields(name, text string) error {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck
	trees := map[string]*parse.Tree{}
	if _, err := t.Parse(text, "", "", trees); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, tree := range trees {
		w.fields(tree.Root)
	}
	return nil
}

func (w *walker) fields(n parse.Node) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				w.fields(c)
			}
		}
	case *parse.ActionNode:
		w.fields(n.Pipe)
	case *parse.PipeNode:
		if n != nil {
			for _, c := range n.Cmds {
				w.fields(c)
			}
		}
	case *parse.CommandNode:
		for _, c := range n.Args {
			w.fields(c)
		}
	case *parse.ChainNode:
		w.fields(n.Node)
		w.add(n.Field)
	case *parse.FieldNode:
		w.add(n.Ident)
	case *parse.VariableNode:
		w.add(n.Ident[1:])
	case *parse.IfNode:
		w.branch(&n.BranchNode)
	case *parse.RangeNode:
		w.branch(&n.BranchNode)
	case *parse.WithNode:
		w.branch(&n.BranchNode)
	case *parse.TemplateNode:
		w.fields(n.Pipe)
	}
}

func (w *walker) branch(n *parse.BranchNode) {
	w.fields(n.Pipe)
	w.fields(n.List)
	w.fields(n.ElseList)
}

func (w *walker) add(idents []string) {
	for _, id := range idents {
		if token.IsExported(id) {
			w.names[id] = true
		}
	}
}

func (w *walker) source() ([]byte, error) {
	names := make([]string, 0, len(w.names))
	for n := range w.names {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	b.WriteString(`// Code generated by go run ./scripts/templatemethods; DO NOT EDIT.

package formatter

import (
	"reflect"
	"slices"
)

// methodNames are the exported method names of the types templates see.
var methodNames = [...]string{
`)
	for _, n := range names {
		fmt.Fprintf(&b, "\t%q,\n", n)
	}
	b.WriteString(`}

// MethodByName is v.MethodByName(name) for the names in methodNames, else
// the zero Value. Each call names its method with a constant, so that the
// linker keeps the methods of those names only (see scripts/templatemethods).
func MethodByName(v reflect.Value, name string) reflect.Value {
	i, ok := slices.BinarySearch(methodNames[:], name)
	if !ok {
		return reflect.Value{}
	}
	switch i {
`)
	for i, n := range names {
		fmt.Fprintf(&b, "\tcase %d:\n\t\treturn v.MethodByName(%q)\n", i, n)
	}
	b.WriteString("\t}\n\treturn reflect.Value{}\n}\n")
	return format.Source(b.Bytes())
}
