// Package odata parses and evaluates the OData system query options that the
// Dataverse Web API accepts on reads: $select, $filter, $orderby, $top,
// $expand (single-valued navigation with a nested $select), $count,
// $skiptoken and parameter aliases (@name=value). $skip is refused, as
// Dataverse refuses it.
//
// Rows are seen through a Resolver, so the package knows nothing about how the
// emulator stores them. Values are nil, string, bool, int64, float64 and
// time.Time; other Go integer and float kinds and json.Number are normalised
// to those.
//
// Evaluation follows what Dataverse does, because Dataverse turns a $filter
// into SQL run by SQL Server:
//
//   - Strings compare case-insensitively (the default collation is
//     case-insensitive); contains, startswith and endswith too. Accents are not
//     folded and trailing spaces are significant: those are collation details
//     the emulator does not reproduce.
//   - GUIDs are kept as text in rows; a bare GUID literal compares with them
//     case-insensitively.
//   - Nulls follow SQL's three-valued logic: "x eq null" and "x ne null" are
//     IS NULL and IS NOT NULL, but any other comparison with a null value is
//     unknown, so "name ne 'a'" does not match a row whose name is null, and
//     neither does "not (name eq 'a')". A row matches only when the filter is
//     true.
//   - Ordering puts nulls first ascending and last descending, as SQL Server
//     does. GUID text orders as text (SQL Server orders uniqueidentifier
//     columns by byte groups, which the engine cannot know without types).
//   - A parameter alias referenced but not given a value is null, as the OData
//     URL conventions say. An alias value may be a literal or a property path,
//     as in Dataverse's own examples ($orderby=@p1&@p1=name).
//
// Errors are *Error values shaped like Dataverse's: HTTP status 400 with code
// 0x80060888, the code Dataverse returns for a query it cannot parse or bind
// (older environments answer the same failures with 0x0).
package odata
