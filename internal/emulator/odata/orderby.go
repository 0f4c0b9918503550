package odata

import "strings"

// OrderKey is one $orderby term.
type OrderKey struct {
	Path []string
	Desc bool
}

// ParseOrderBy parses "$orderby": comma-separated property paths (or aliases
// whose value is a property path), each optionally followed by asc or desc.
func ParseOrderBy(s string, aliases map[string]string) ([]OrderKey, error) {
	p := &parser{src: s, toks: scan(s), aliases: aliases}
	var keys []OrderKey
	for {
		t := p.peek()
		var path []string
		switch t.kind {
		case tokIdent:
			n, err := p.parsePath()
			if err != nil {
				return nil, err
			}
			pn, ok := n.(*pathNode)
			if !ok {
				return nil, badQuery("The $orderby expression '%s' is not a property path.", s)
			}
			path = pn.path
		case tokAlias:
			p.advance()
			n, err := p.resolveAlias(t)
			if err != nil {
				return nil, err
			}
			pn, isPath := n.(*pathNode)
			if !isPath {
				return nil, badQuery("The parameter alias '%s' used in $orderby must stand for a property, not a literal.", t.text)
			}
			path = pn.path
		default:
			return nil, p.unexpected(t, expressionExpected(s, t.pos))
		}
		key := OrderKey{Path: path}
		if p.isWord("asc") || p.isWord("desc") {
			key.Desc = p.advance().text == "desc"
		}
		keys = append(keys, key)
		switch t := p.advance(); t.kind {
		case tokEOF:
			return keys, nil
		case tokComma:
		default:
			return nil, p.unexpected(t, syntaxError(s, t.pos))
		}
	}
}

// Less orders rows a and b by keys, as SQL Server would: nulls first when
// ascending (last when descending), numbers numerically, times
// chronologically, strings case-insensitively. A property the resolver does
// not know orders as null; callers validate paths beforehand. Rows that tie on
// every key are not less than each other, so a stable sort keeps their order.
func Less(keys []OrderKey, a, b Resolver) bool {
	for _, k := range keys {
		c := orderCompare(orderValue(a, k.Path), orderValue(b, k.Path))
		if c == 0 {
			continue
		}
		if k.Desc {
			return c > 0
		}
		return c < 0
	}
	return false
}

func orderValue(row Resolver, path []string) any {
	if row == nil {
		return nil
	}
	raw, ok := row(path)
	if !ok {
		return nil
	}
	v, ok := normalize(raw)
	if !ok {
		return unorderable{}
	}
	return v
}

// unorderable stands for a value of a Go type the engine does not know; all
// such values sort together after every known kind.
type unorderable struct{}

// formatOrderBy renders keys back as an $orderby value.
func formatOrderBy(keys []OrderKey) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strings.Join(k.Path, "/")
		if k.Desc {
			parts[i] += " desc"
		}
	}
	return strings.Join(parts, ",")
}
