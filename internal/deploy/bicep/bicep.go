// Package bicep reads Bicep templates with the tree-sitter Bicep grammar, so that
// tests can check the templates of infra/ without the Bicep compiler, which cannot
// be installed everywhere the tests run. It finds syntax errors (ERROR and MISSING
// nodes) and extracts the app settings of a function app from the syntax tree
// rather than with text patterns.
package bicep

import (
	"fmt"
	"strings"

	bicepgrammar "github.com/tree-sitter-grammars/tree-sitter-bicep/bindings/go"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// SyntaxError is one ERROR or MISSING node of a parsed file.
type SyntaxError struct {
	Line, Column int    // 1-based
	Kind         string // "ERROR" or "MISSING <token>"
	Text         string // the source text the node covers, shortened
}

func (e SyntaxError) String() string {
	return fmt.Sprintf("%d:%d: %s near %q", e.Line, e.Column, e.Kind, e.Text)
}

// File is a parsed Bicep file. Call Close to free the tree-sitter tree.
type File struct {
	src  []byte
	tree *sitter.Tree
}

// Parse parses src. It never fails on bad syntax: ask SyntaxErrors for that.
func Parse(src []byte) (*File, error) {
	p := sitter.NewParser()
	defer p.Close()
	if err := p.SetLanguage(sitter.NewLanguage(bicepgrammar.Language())); err != nil {
		return nil, fmt.Errorf("load the Bicep grammar: %w", err)
	}
	tree := p.Parse(src, nil)
	if tree == nil {
		return nil, fmt.Errorf("the Bicep parser returned no tree")
	}
	return &File{src: src, tree: tree}, nil
}

// Close frees the syntax tree.
func (f *File) Close() { f.tree.Close() }

// SyntaxErrors lists every ERROR and MISSING node in source order.
func (f *File) SyntaxErrors() []SyntaxError {
	var out []SyntaxError
	walk(f.tree.RootNode(), func(n *sitter.Node) bool {
		kind := ""
		switch {
		case n.IsMissing():
			kind = "MISSING " + n.Kind()
		case n.IsError():
			kind = "ERROR"
		default:
			return n.HasError() // descend only where an error hides
		}
		pos := n.StartPosition()
		out = append(out, SyntaxError{
			Line:   int(pos.Row) + 1,
			Column: int(pos.Column) + 1,
			Kind:   kind,
			Text:   shorten(n.Utf8Text(f.src)),
		})
		return kind == "ERROR" // an ERROR node may hold MISSING nodes
	})
	return out
}

// Setting is one entry of an appSettings array: its name and the source text of its
// value expression (a literal, a parameter, a ternary...).
type Setting struct {
	Name  string
	Value string
	Line  int
}

// AppSettings returns the entries of every `appSettings: [ { name: ..., value: ... } ]`
// array in the file, in source order. A name that is not a plain string literal is
// an error: the settings must be readable without evaluating the template.
func (f *File) AppSettings() ([]Setting, error) {
	var out []Setting
	var problems []string
	walk(f.tree.RootNode(), func(n *sitter.Node) bool {
		if n.Kind() != "object_property" || propertyKey(n, f.src) != "appSettings" {
			return true
		}
		arr := propertyValue(n)
		if arr == nil || arr.Kind() != "array" {
			problems = append(problems, fmt.Sprintf("line %d: appSettings is not an array literal", n.StartPosition().Row+1))
			return false
		}
		for i := uint(0); i < arr.NamedChildCount(); i++ {
			item := arr.NamedChild(i)
			if item.Kind() == "comment" {
				continue
			}
			line := int(item.StartPosition().Row) + 1
			if item.Kind() != "object" {
				problems = append(problems, fmt.Sprintf("line %d: app setting is a %s, not an object literal", line, item.Kind()))
				continue
			}
			s := Setting{Line: line}
			var hasName bool
			for j := uint(0); j < item.NamedChildCount(); j++ {
				prop := item.NamedChild(j)
				if prop.Kind() != "object_property" {
					continue
				}
				v := propertyValue(prop)
				switch propertyKey(prop, f.src) {
				case "name":
					lit, ok := stringLiteral(v, f.src)
					if !ok {
						problems = append(problems, fmt.Sprintf("line %d: app setting name is not a plain string literal", line))
						continue
					}
					s.Name, hasName = lit, true
				case "value":
					if v != nil {
						s.Value = v.Utf8Text(f.src)
					}
				}
			}
			if !hasName {
				problems = append(problems, fmt.Sprintf("line %d: app setting without a name", line))
				continue
			}
			out = append(out, s)
		}
		return false
	})
	if len(problems) > 0 {
		return out, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return out, nil
}

// Calls returns the names of every function called in the file (listKeys, guid...).
func (f *File) Calls() []string {
	var out []string
	walk(f.tree.RootNode(), func(n *sitter.Node) bool {
		if n.Kind() == "call_expression" {
			if fn := n.ChildByFieldName("function"); fn != nil {
				name := fn.Utf8Text(f.src)
				// a.listKeys() is a member call: keep the last name.
				if i := strings.LastIndexByte(name, '.'); i >= 0 {
					name = name[i+1:]
				}
				out = append(out, name)
			}
		}
		return true
	})
	return out
}

// walk visits n and its descendants depth first; visit returns whether to descend.
func walk(n *sitter.Node, visit func(*sitter.Node) bool) {
	if !visit(n) {
		return
	}
	for i := uint(0); i < n.ChildCount(); i++ {
		if c := n.Child(i); c != nil {
			walk(c, visit)
		}
	}
}

// propertyKey is the key of an object_property: its first named child, an
// identifier or a string literal.
func propertyKey(prop *sitter.Node, src []byte) string {
	if prop.NamedChildCount() == 0 {
		return ""
	}
	k := prop.NamedChild(0)
	if s, ok := stringLiteral(k, src); ok {
		return s
	}
	return k.Utf8Text(src)
}

// propertyValue is the value of an object_property: its last named child that is
// not a comment.
func propertyValue(prop *sitter.Node) *sitter.Node {
	for i := int(prop.NamedChildCount()) - 1; i >= 1; i-- {
		if c := prop.NamedChild(uint(i)); c.Kind() != "comment" {
			return c
		}
	}
	return nil
}

// stringLiteral returns the text of a string node without interpolation.
func stringLiteral(n *sitter.Node, src []byte) (string, bool) {
	if n == nil || n.Kind() != "string" {
		return "", false
	}
	var b strings.Builder
	for i := uint(0); i < n.NamedChildCount(); i++ {
		c := n.NamedChild(i)
		switch c.Kind() {
		case "string_content":
			b.WriteString(c.Utf8Text(src))
		case "escape_sequence":
			b.WriteString(unescape(c.Utf8Text(src)))
		default:
			return "", false // interpolation
		}
	}
	return b.String(), true
}

func unescape(seq string) string {
	switch seq {
	case `\'`:
		return "'"
	case `\\`:
		return `\`
	case `\n`:
		return "\n"
	case `\r`:
		return "\r"
	case `\t`:
		return "\t"
	case `\$`:
		return "$"
	}
	return seq
}

func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// Param is one top-level parameter declaration.
type Param struct {
	Name       string
	HasDefault bool
}

// Params lists the file's parameters in source order.
func (f *File) Params() []Param {
	var out []Param
	root := f.tree.RootNode()
	for i := uint(0); i < root.NamedChildCount(); i++ {
		n := root.NamedChild(i)
		if n.Kind() != "parameter_declaration" || n.NamedChildCount() == 0 {
			continue
		}
		// identifier, type, then the default value if there is one.
		out = append(out, Param{Name: n.NamedChild(0).Utf8Text(f.src), HasDefault: n.NamedChildCount() > 2})
	}
	return out
}
