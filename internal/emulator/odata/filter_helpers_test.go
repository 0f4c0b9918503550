package odata

// literals returns the values of the filter's literals in source order
// (GUIDs as their text), for tests that check how literals were read.
func (f *Filter) literals() []any {
	var out []any
	if f == nil {
		return out
	}
	visit(f.root, func(n node) {
		if x, ok := n.(*literalNode); ok {
			if g, isGUID := x.val.(guidValue); isGUID {
				out = append(out, string(g))
			} else {
				out = append(out, x.val)
			}
		}
	})
	return out
}
