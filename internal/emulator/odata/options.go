package odata

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Options are the system query options of one read request.
type Options struct {
	Select  []string
	Filter  *Filter
	OrderBy []OrderKey
	Top     int // 0 = none
	Expand  []ExpandItem
	// Aliases maps "@name" to its raw value, including aliases used only in
	// the resource path, such as serviceendpoints(@id).
	Aliases map[string]string
	// Count is $count=true: the response carries @odata.count.
	Count bool
	// SkipToken is the opaque $skiptoken of a next-page link, as given.
	SkipToken string
}

// supportedOptions are the system query options a read accepts. Others, such
// as $skip, $search or $apply, are refused rather than ignored.
var supportedOptions = map[string]bool{
	"$select": true, "$filter": true, "$orderby": true, "$top": true,
	"$expand": true, "$count": true, "$skiptoken": true,
}

// ParseOptions reads a request's query: $select, $filter, $orderby, $top,
// $expand, $count, $skiptoken and parameter aliases (@name=value), usable in
// $filter and $orderby. $skip and any other $option give a *Error, as does an
// option or alias given twice. Parameters without '$' or '@' are custom query
// options and are ignored, as OData prescribes.
func ParseOptions(q url.Values) (*Options, error) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	// Sorted, so that a query with several faults always reports the same one.
	slices.Sort(keys)

	o := &Options{Aliases: map[string]string{}}
	values := map[string]string{}
	for _, k := range keys {
		switch {
		case strings.HasPrefix(k, "@"):
			if !isIdentifier(k[1:]) {
				return nil, badQuery("The parameter alias name '%s' is not valid.", k)
			}
			if len(q[k]) != 1 {
				return nil, badQuery("The parameter alias '%s' was specified more than once, but it must be specified at most once.", k)
			}
			o.Aliases[k] = q[k][0]
		case strings.HasPrefix(k, "$"):
			if k == "$skip" {
				return nil, badQuery("The query parameter $skip is not supported")
			}
			if !supportedOptions[k] {
				return nil, badQuery("The query parameter %s is not supported", k)
			}
			if len(q[k]) != 1 {
				return nil, badQuery("Query option '%s' was specified more than once, but it must be specified at most once.", k)
			}
			values[k] = q[k][0]
		}
	}

	var err error
	if v, ok := values["$select"]; ok {
		if o.Select, err = ParseSelect(v); err != nil {
			return nil, err
		}
	}
	if v, ok := values["$filter"]; ok {
		if o.Filter, err = ParseFilter(v, o.Aliases); err != nil {
			return nil, err
		}
	}
	if v, ok := values["$orderby"]; ok {
		if o.OrderBy, err = ParseOrderBy(v, o.Aliases); err != nil {
			return nil, err
		}
	}
	if v, ok := values["$top"]; ok {
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n <= 0 || !isDigits(v) {
			return nil, badQuery("Invalid value '%s' for $top query option found. The $top query option requires a positive integer value.", v)
		}
		o.Top = n
	}
	if v, ok := values["$expand"]; ok {
		if o.Expand, err = ParseExpand(v); err != nil {
			return nil, err
		}
	}
	if v, ok := values["$count"]; ok {
		switch v {
		case "true":
			o.Count = true
		case "false":
		default:
			return nil, badQuery("'%s' is not a valid count option.", v)
		}
	}
	if v, ok := values["$skiptoken"]; ok {
		o.SkipToken = v
	}
	return o, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// Validate checks every property the options name against the table, so
// that an unknown column is refused even when no row would be read. has
// reports whether a path exists: [column], [navigation] for a single-valued
// navigation property, and [navigation, column] for a column of the related
// table. entity is the table's logical name, used in the error message.
func (o *Options) Validate(entity string, has func(path []string) bool) error {
	if o == nil {
		return nil
	}
	for _, name := range o.Select {
		if !has([]string{name}) {
			return PropertyNotFound(entity, []string{name})
		}
	}
	for _, item := range o.Expand {
		if !has([]string{item.Property}) {
			return PropertyNotFound(entity, []string{item.Property})
		}
		for _, name := range item.Select {
			if !has([]string{item.Property, name}) {
				return PropertyNotFound(entity, []string{item.Property, name})
			}
		}
	}
	for _, path := range o.Filter.Paths() {
		if !has(path) {
			return PropertyNotFound(entity, path)
		}
	}
	for _, key := range o.OrderBy {
		if !has(key.Path) {
			return PropertyNotFound(entity, key.Path)
		}
	}
	return nil
}

// Values renders the options back into query parameters, aliases included,
// so that a next-page link can repeat the query it continues. $filter keeps
// its original text.
func (o *Options) Values() url.Values {
	q := url.Values{}
	if o == nil {
		return q
	}
	if len(o.Select) > 0 {
		q.Set("$select", strings.Join(o.Select, ","))
	}
	if o.Filter != nil {
		q.Set("$filter", o.Filter.String())
	}
	if len(o.OrderBy) > 0 {
		q.Set("$orderby", formatOrderBy(o.OrderBy))
	}
	if o.Top > 0 {
		q.Set("$top", strconv.Itoa(o.Top))
	}
	if len(o.Expand) > 0 {
		parts := make([]string, len(o.Expand))
		for i, item := range o.Expand {
			parts[i] = item.Property
			if len(item.Select) > 0 {
				parts[i] += "($select=" + strings.Join(item.Select, ",") + ")"
			}
		}
		q.Set("$expand", strings.Join(parts, ","))
	}
	if o.Count {
		q.Set("$count", "true")
	}
	if o.SkipToken != "" {
		q.Set("$skiptoken", o.SkipToken)
	}
	for name, value := range o.Aliases {
		q.Set(name, value)
	}
	return q
}

// ParseRawQuery splits a raw query string into values like url.ParseQuery,
// except that ';' is an ordinary character. Dataverse's documented queries
// put ';' between nested $expand options, and url.ParseQuery would drop such
// a parameter.
func ParseRawQuery(raw string) (url.Values, error) {
	q := url.Values{}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		key, value, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(key)
		if err != nil {
			return nil, badQuery("The query string is not correctly encoded: %s", err.Error())
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return nil, badQuery("The query string is not correctly encoded: %s", err.Error())
		}
		q[k] = append(q[k], v)
	}
	return q, nil
}
