package odata

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Resolver looks up a property path of the current row: ["name"],
// ["_sdkmessageid_value"], or a single-valued navigation path
// ["sdkmessageid","name"]. ok=false means the property does not exist on the
// table (a 400 error), which differs from a null value (ok=true, v=nil).
type Resolver func(path []string) (v any, ok bool)

// Filter is a parsed $filter expression.
type Filter struct {
	src  string
	root node
}

type node interface{ isNode() }

type literalNode struct{ val any } // nil for null

type pathNode struct{ path []string }

type notNode struct{ x node }

type logicalNode struct {
	and  bool
	l, r node
}

type compareOp int

const (
	opEq compareOp = iota
	opNe
	opGt
	opGe
	opLt
	opLe
)

var compareOps = map[string]compareOp{"eq": opEq, "ne": opNe, "gt": opGt, "ge": opGe, "lt": opLt, "le": opLe}

// operatorKind names an operator the way Dataverse's error messages do.
func (op compareOp) operatorKind() string {
	return [...]string{"Equal", "NotEqual", "GreaterThan", "GreaterThanOrEqual", "LessThan", "LessThanOrEqual"}[op]
}

type compareNode struct {
	op   compareOp
	l, r node
}

// funcNode is contains/startswith/endswith(property, 'text').
type funcNode struct {
	name string
	prop *pathNode
	arg  *literalNode
}

func (*literalNode) isNode() {}

func (*pathNode) isNode() {}

func (*notNode) isNode() {}

func (*logicalNode) isNode() {}

func (*compareNode) isNode() {}

func (*funcNode) isNode() {}

// stringFunctions are the canonical functions Dataverse supports in $filter.
var stringFunctions = map[string]func(s, sub string) bool{
	"contains":   strings.Contains,
	"startswith": strings.HasPrefix,
	"endswith":   strings.HasSuffix,
}

// Words that OData reserves as operators; none of them can start an operand.
var reservedWords = map[string]bool{
	"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true,
	"and": true, "or": true, "not": true, "has": true, "in": true,
	"add": true, "sub": true, "mul": true, "div": true, "divby": true, "mod": true,
}

// maxDepth bounds nesting of parentheses and 'not', so hostile input cannot
// exhaust the stack.
const maxDepth = 100

type staticKind int

const (
	kindUnknown staticKind = iota // a property or null: known only per row
	kindBool
	kindValue // a non-boolean literal
)

func kindOf(n node) staticKind {
	switch x := n.(type) {
	case *literalNode:
		switch x.val.(type) {
		case nil:
			return kindUnknown
		case bool:
			return kindBool
		}
		return kindValue
	case *pathNode:
		return kindUnknown
	}
	return kindBool
}

type parser struct {
	src     string
	toks    []token
	i       int
	aliases map[string]string
	depth   int
}

// ParseFilter parses a $filter expression. aliases maps "@name" to the raw
// text given for it in the query string ("'abc'", a bare GUID, or a property
// name); an alias referenced but absent is null.
func ParseFilter(expr string, aliases map[string]string) (*Filter, error) {
	if strings.TrimLeft(expr, " \t\r\n") == "" {
		return nil, expressionExpected(expr, len(expr))
	}
	p := &parser{src: expr, toks: scan(expr), aliases: aliases}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unexpected(t, syntaxError(expr, t.pos))
	}
	if kindOf(root) == kindValue {
		return nil, badQuery("The $filter expression must evaluate to a single boolean value.")
	}
	return &Filter{src: expr, root: root}, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tokEOF && t.kind != tokError {
		p.i++
	}
	return t
}

// unexpected is the error for token t where it cannot stand: the lexical
// error it carries, if any, otherwise fallback.
func (p *parser) unexpected(t token, fallback *Error) error {
	if t.kind == tokError {
		return t.err
	}
	return fallback
}

func (p *parser) isWord(word string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == word
}

func (p *parser) parseOr() (node, error) {
	return p.parseLogical("or", "Or", false, p.parseAnd)
}

func (p *parser) parseAnd() (node, error) {
	return p.parseLogical("and", "And", true, p.parseComparison)
}

// parseLogical parses operands joined by one logical operator, left to right; word is the
// operator as written, kind as Dataverse names it in errors, operand parses the tighter level.
func (p *parser) parseLogical(word, kind string, and bool, operand func() (node, error)) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.isWord(word) {
		p.advance()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		if err := checkLogicalOperands(kind, l, r); err != nil {
			return nil, err
		}
		l = &logicalNode{and: and, l: l, r: r}
	}
	return l, nil
}

func checkLogicalOperands(kind string, l, r node) error {
	if kindOf(l) == kindValue || kindOf(r) == kindValue {
		return badQuery("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.",
			staticTypeName(l), staticTypeName(r), kind)
	}
	return nil
}

func staticTypeName(n node) string {
	switch x := n.(type) {
	case *literalNode:
		return edmType(x.val)
	case *pathNode:
		return strings.Join(x.path, "/")
	}
	return "Edm.Boolean"
}

func (p *parser) parseComparison() (node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, isOp := compareOps[t.text]
		if t.kind != tokIdent || !isOp {
			return l, nil
		}
		p.advance()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &compareNode{op: op, l: l, r: r}
	}
}

// nested parses with parse one level deeper, refusing an expression nested deeper than maxDepth.
func (p *parser) nested(parse func() (node, error)) (node, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, badQuery("The $filter expression is nested too deeply.")
	}
	defer func() { p.depth-- }()
	return parse()
}

func (p *parser) parseUnary() (node, error) {
	if !p.isWord("not") {
		return p.parsePrimary()
	}
	p.advance()
	x, err := p.nested(p.parseUnary)
	if err != nil {
		return nil, err
	}
	if kindOf(x) == kindValue {
		return nil, badQuery("A unary operator with an incompatible type was detected. Found operand type '%s' for operator kind 'Not'.", staticTypeName(x))
	}
	return &notNode{x: x}, nil
}

func (p *parser) parsePrimary() (node, error) {
	t := p.peek()
	switch t.kind {
	case tokOpen:
		p.advance()
		x, err := p.nested(p.parseOr)
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tokClose {
			return nil, p.unexpected(c, badQuery("')' or operator expected at position %d in '%s'.", c.pos, p.src))
		}
		p.advance()
		return x, nil
	case tokString, tokGUID, tokDateTime, tokNumber:
		p.advance()
		return literalFromToken(t), nil
	case tokAlias:
		p.advance()
		return p.resolveAlias(t)
	case tokIdent:
		if next := p.toks[p.i+1]; next.kind == tokOpen && next.pos == t.pos+len(t.text) {
			return p.parseCall()
		}
		if lit, isLit := keywordLiteral(t.text); isLit {
			p.advance()
			return lit, nil
		}
		if reservedWords[t.text] {
			return nil, expressionExpected(p.src, t.pos)
		}
		return p.parsePath()
	}
	return nil, p.unexpected(t, expressionExpected(p.src, t.pos))
}

func keywordLiteral(word string) (*literalNode, bool) {
	switch word {
	case "null":
		return &literalNode{val: nil}, true
	case "true":
		return &literalNode{val: true}, true
	case "false":
		return &literalNode{val: false}, true
	case "INF":
		return &literalNode{val: posInf}, true
	case "NaN":
		return &literalNode{val: nan}, true
	}
	return nil, false
}

func literalFromToken(t token) *literalNode {
	if t.kind == tokGUID {
		s, _ := t.val.(string) // the lexer stores a GUID token as its text
		return &literalNode{val: guidValue(s)}
	}
	return &literalNode{val: t.val}
}

func (p *parser) parsePath() (node, error) {
	var path []string
	for {
		t := p.peek()
		if t.kind != tokIdent || reservedWords[t.text] || isKeywordLiteral(t.text) {
			return nil, p.unexpected(t, expressionExpected(p.src, t.pos))
		}
		if strings.Contains(t.text, ".") {
			return nil, badQuery("The segment '%s' at position %d in '%s' is a type cast or qualified name, which is not supported here.", t.text, t.pos, p.src)
		}
		p.advance()
		if next := p.peek(); next.kind == tokOpen && next.pos == t.pos+len(t.text) {
			if t.text == "any" || t.text == "all" {
				return nil, badQuery("The lambda operator '%s' at position %d in '%s' is not supported.", t.text, t.pos, p.src)
			}
			return nil, badQuery("An unknown or unsupported function with name '%s' was found at position %d in '%s'.", t.text, t.pos, p.src)
		}
		path = append(path, t.text)
		if p.peek().kind != tokSlash {
			return &pathNode{path: slices.Clip(path)}, nil
		}
		p.advance()
	}
}

func isKeywordLiteral(word string) bool {
	_, ok := keywordLiteral(word)
	return ok
}

func (p *parser) parseCall() (node, error) {
	name := p.advance()
	if _, known := stringFunctions[name.text]; !known {
		return nil, badQuery("An unknown or unsupported function with name '%s' was found at position %d in '%s'.", name.text, name.pos, p.src)
	}
	p.advance() // '('
	var args []node
	for {
		arg, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
		t := p.advance()
		if t.kind == tokClose {
			break
		}
		if t.kind != tokComma {
			return nil, p.unexpected(t, badQuery("')' or ',' expected at position %d in '%s'.", t.pos, p.src))
		}
	}
	prop, propOK := nodeAt(args, 0).(*pathNode)
	arg, argOK := nodeAt(args, 1).(*literalNode)
	if len(args) != 2 || !propOK || !argOK {
		return nil, noMatchingSignature(name.text)
	}
	if _, isString := arg.val.(string); !isString && arg.val != nil {
		return nil, noMatchingSignature(name.text)
	}
	return &funcNode{name: name.text, prop: prop, arg: arg}, nil
}

func nodeAt(nodes []node, i int) node {
	if i < len(nodes) {
		return nodes[i]
	}
	return nil
}

func noMatchingSignature(name string) *Error {
	return badQuery("No function signature for the function with name '%s' matches the specified arguments. The function signatures considered are: %s(property of type Edm.String, string literal).", name, name)
}

// resolveAlias replaces @name with the operand its value stands for: a
// literal or a property path. Alias values may not refer to other aliases.
func (p *parser) resolveAlias(t token) (node, error) {
	raw, given := p.aliases[t.text]
	if !given {
		return &literalNode{val: nil}, nil
	}
	n, err := parseAliasValue(t.text, raw)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func parseAliasValue(name, raw string) (node, error) {
	toks, err := tokenize(raw)
	if err != nil {
		return nil, aliasError(name, raw, err)
	}
	if toks[0].kind == tokAlias {
		return nil, badQuery("The value of parameter alias '%s' refers to another alias, which is not supported.", name)
	}
	sub := &parser{src: raw, toks: toks}
	n, err := sub.parsePrimary()
	if err != nil {
		return nil, aliasError(name, raw, err)
	}
	if t := sub.peek(); t.kind != tokEOF {
		return nil, aliasError(name, raw, syntaxError(raw, t.pos))
	}
	switch n.(type) {
	case *literalNode, *pathNode:
		return n, nil
	}
	return nil, badQuery("The value of parameter alias '%s' must be a literal or a property path.", name)
}

func aliasError(name, raw string, err error) error {
	return badQuery("The value '%s' of parameter alias '%s' is not valid: %s", raw, name, messageOf(err))
}

func messageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// Eval reports whether the row matches. A property the resolver does not know
// gives a *Error; a filter that is unknown for the row (SQL's NULL) does not
// match.
func (f *Filter) Eval(row Resolver) (bool, error) {
	if f == nil || f.root == nil {
		return true, nil
	}
	b, _, err := evalBool(f.root, row, "The $filter expression must evaluate to a single boolean value; found %s.")
	return b, err
}

// evalBool evaluates a boolean expression; known is false when it is unknown.
// Any other type is an error made from notBool and the type found.
func evalBool(n node, row Resolver, notBool string) (value, known bool, err error) {
	v, err := eval(n, row)
	if err != nil {
		return false, false, err
	}
	switch b := v.(type) {
	case bool:
		return b, true, nil
	case nil:
		return false, false, nil
	}
	return false, false, badQuery(notBool, edmType(v))
}

// evalOperands evaluates both sides of a binary operator, left first.
func evalOperands(l, r node, row Resolver) (lv, rv any, err error) {
	if lv, err = eval(l, row); err != nil {
		return nil, nil, err
	}
	if rv, err = eval(r, row); err != nil {
		return nil, nil, err
	}
	return lv, rv, nil
}

func resolve(row Resolver, path []string) (any, error) {
	if row == nil {
		return nil, PropertyNotFound("", path)
	}
	raw, ok := row(path)
	if !ok {
		return nil, PropertyNotFound("", path)
	}
	v, ok := normalize(raw)
	if !ok {
		return nil, &Error{Status: 500, Code: CodeUnexpected,
			Message: fmt.Sprintf("The property '%s' holds a value of unsupported type %T.", strings.Join(path, "/"), raw)}
	}
	return v, nil
}

// eval returns a value; for boolean expressions nil stands for unknown.
func eval(n node, row Resolver) (any, error) {
	switch x := n.(type) {
	case *literalNode:
		return x.val, nil
	case *pathNode:
		return resolve(row, x.path)
	case *notNode:
		b, known, err := evalBool(x.x, row, "A unary operator with an incompatible type was detected. Found operand type '%s' for operator kind 'Not'.")
		if err != nil || !known {
			return nil, err
		}
		return !b, nil
	case *logicalNode:
		return evalLogical(x, row)
	case *compareNode:
		return evalCompare(x, row)
	case *funcNode:
		return evalFunc(x, row)
	}
	return nil, badQuery("Unsupported expression.")
}

// evalLogical applies Kleene logic. Both sides are always evaluated so that a
// missing property is reported whatever the other side holds.
func evalLogical(x *logicalNode, row Resolver) (any, error) {
	l, r, err := evalOperands(x.l, x.r, row)
	if err != nil {
		return nil, err
	}
	kind := "Or"
	if x.and {
		kind = "And"
	}
	lb, lIsBool := l.(bool)
	rb, rIsBool := r.(bool)
	if (l != nil && !lIsBool) || (r != nil && !rIsBool) {
		return nil, badQuery("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", edmType(l), edmType(r), kind)
	}
	if x.and {
		switch {
		case (lIsBool && !lb) || (rIsBool && !rb):
			return false, nil
		case l == nil || r == nil:
			return nil, nil
		}
		return true, nil
	}
	switch {
	case (lIsBool && lb) || (rIsBool && rb):
		return true, nil
	case l == nil || r == nil:
		return nil, nil
	}
	return false, nil
}

func isNullLiteral(n node) bool {
	lit, ok := n.(*literalNode)
	return ok && lit.val == nil
}

func evalCompare(x *compareNode, row Resolver) (any, error) {
	l, r, err := evalOperands(x.l, x.r, row)
	if err != nil {
		return nil, err
	}
	if isNullLiteral(x.l) || isNullLiteral(x.r) {
		// "eq null" and "ne null" are IS NULL and IS NOT NULL; ordering
		// against null is unknown.
		switch x.op {
		case opEq:
			return l == nil && r == nil, nil
		case opNe:
			return l != nil || r != nil, nil
		}
		return nil, nil
	}
	if l == nil || r == nil {
		return nil, nil
	}
	c, unordered, ok := compareValues(l, r)
	if !ok {
		return nil, badQuery("A binary operator with incompatible types was detected. Found operand types '%s' and '%s' for operator kind '%s'.", edmType(l), edmType(r), x.op.operatorKind())
	}
	if unordered {
		return x.op == opNe, nil
	}
	switch x.op {
	case opEq:
		return c == 0, nil
	case opNe:
		return c != 0, nil
	case opGt:
		return c > 0, nil
	case opGe:
		return c >= 0, nil
	case opLt:
		return c < 0, nil
	default:
		return c <= 0, nil
	}
}

func evalFunc(x *funcNode, row Resolver) (any, error) {
	v, err := resolve(row, x.prop.path)
	if err != nil {
		return nil, err
	}
	if v == nil || x.arg.val == nil {
		return nil, nil
	}
	s, isText := asText(v)
	if !isText {
		return nil, badQuery("No function signature for the function with name '%s' matches the specified arguments: the property '%s' is of type %s, not Edm.String.",
			x.name, strings.Join(x.prop.path, "/"), edmType(v))
	}
	sub, _ := x.arg.val.(string)
	return stringFunctions[x.name](fold(s), fold(sub)), nil
}

// visit calls fn for n and every node below it, parents first, left to right.
func visit(n node, fn func(node)) {
	fn(n)
	switch x := n.(type) {
	case *notNode:
		visit(x.x, fn)
	case *logicalNode:
		visit(x.l, fn)
		visit(x.r, fn)
	case *compareNode:
		visit(x.l, fn)
		visit(x.r, fn)
	case *funcNode:
		if x.prop != nil {
			visit(x.prop, fn)
		}
		if x.arg != nil {
			visit(x.arg, fn)
		}
	}
}

// Paths returns every property path the filter references, each once, in
// order of first appearance, so a caller can reject unknown columns before it
// looks at any row.
func (f *Filter) Paths() [][]string {
	if f == nil {
		return nil
	}
	var out [][]string
	seen := map[string]bool{}
	visit(f.root, func(n node) {
		if x, ok := n.(*pathNode); ok {
			key := strings.Join(x.path, "/")
			if !seen[key] {
				seen[key] = true
				out = append(out, slices.Clone(x.path))
			}
		}
	})
	return out
}

// ComparedStrings returns the string literals the filter compares the
// property path with, in source order, so a caller can check names that must
// exist before it looks at any row (Dataverse resolves table names in
// EntityName columns against its metadata).
func (f *Filter) ComparedStrings(path []string) []string {
	if f == nil {
		return nil
	}
	is := func(n node) bool {
		p, ok := n.(*pathNode)
		return ok && slices.Equal(p.path, path)
	}
	text := func(n node) (string, bool) {
		l, ok := n.(*literalNode)
		if !ok {
			return "", false
		}
		s, ok := l.val.(string)
		return s, ok
	}
	var out []string
	visit(f.root, func(n node) {
		x, ok := n.(*compareNode)
		if !ok {
			return
		}
		if s, ok := text(x.r); ok && is(x.l) {
			out = append(out, s)
		} else if s, ok := text(x.l); ok && is(x.r) {
			out = append(out, s)
		}
	})
	return out
}

// String returns the expression as it was given.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.src
}
