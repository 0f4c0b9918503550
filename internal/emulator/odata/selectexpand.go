package odata

import "strings"

// ExpandItem is one $expand term: a single-valued navigation property and the
// columns of the related row to return (nil means all of them).
type ExpandItem struct {
	Property string
	Select   []string
}

func isIdentifier(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

func trimSpace(s string) string { return strings.Trim(s, " \t\r\n") }

func invalidTerm(term string) *Error {
	return badQuery("Term '%s' is not valid in a $select or $expand expression.", term)
}

// ParseSelect parses "$select": comma-separated column names, spaces around
// them allowed. Repeated names are kept once.
func ParseSelect(s string) ([]string, error) {
	if trimSpace(s) == "" {
		return nil, invalidTerm(s)
	}
	var out []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		name := trimSpace(part)
		if !isIdentifier(name) {
			return nil, invalidTerm(s)
		}
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out, nil
}

// ParseExpand parses "$expand": comma-separated navigation properties, each
// optionally followed by nested options in parentheses separated by ';'. Only
// a nested $select is supported, as the emulator expands only single-valued
// navigation properties.
func ParseExpand(s string) ([]ExpandItem, error) {
	if trimSpace(s) == "" {
		return nil, invalidTerm(s)
	}
	terms, err := splitTopLevel(s, ',')
	if err != nil {
		return nil, err
	}
	var out []ExpandItem
	seen := map[string]bool{}
	for _, term := range terms {
		item, err := parseExpandTerm(trimSpace(term))
		if err != nil {
			return nil, err
		}
		if seen[item.Property] {
			return nil, badQuery("The navigation property '%s' is expanded more than once in '%s'.", item.Property, s)
		}
		seen[item.Property] = true
		out = append(out, item)
	}
	return out, nil
}

func parseExpandTerm(term string) (ExpandItem, error) {
	name, rest, hasOptions := strings.Cut(term, "(")
	name = trimSpace(name)
	if !isIdentifier(name) {
		return ExpandItem{}, invalidTerm(term)
	}
	item := ExpandItem{Property: name}
	if !hasOptions {
		return item, nil
	}
	if !strings.HasSuffix(rest, ")") {
		return ExpandItem{}, invalidTerm(term)
	}
	inner := rest[:len(rest)-1]
	if trimSpace(inner) == "" {
		return ExpandItem{}, invalidTerm(term)
	}
	options, err := splitTopLevel(inner, ';')
	if err != nil {
		return ExpandItem{}, err
	}
	selectSeen := false
	for _, opt := range options {
		key, value, hasValue := strings.Cut(opt, "=")
		key = trimSpace(key)
		if !hasValue {
			return ExpandItem{}, invalidTerm(term)
		}
		switch key {
		case "$select":
			if selectSeen {
				return ExpandItem{}, badQuery("Query option '$select' was specified more than once inside $expand of '%s'.", name)
			}
			selectSeen = true
			if item.Select, err = ParseSelect(value); err != nil {
				return ExpandItem{}, err
			}
		default:
			return ExpandItem{}, badQuery("The query option '%s' is not supported inside $expand of '%s'.", key, name)
		}
	}
	return item, nil
}

// splitTopLevel splits s at sep where sep is outside parentheses.
func splitTopLevel(s string, sep byte) ([]string, error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return nil, invalidTerm(s)
			}
		case sep:
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, invalidTerm(s)
	}
	return append(parts, s[start:]), nil
}
