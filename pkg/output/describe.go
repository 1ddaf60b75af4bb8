package output

// descriptions are the one-line help of each format, shown by `infra help formats`.
var descriptions = map[Format]string{
	Table: "columns for people: boxed and fitted on a terminal, plain space-aligned columns when piped",
	JSON:  "the vendor's wire field names, keys sorted; indented on a terminal, one compact line when piped",
	YAML:  "the JSON form as YAML",
	CSV:   "a header row of field names (unless --no-headers), then one row per item; cells are exact data",
	KV:    "btapi's flattened key=value form (0__id=5); parses back as -k input",
}

// Describe returns the one-line description of a format.
func Describe(f Format) string { return descriptions[f] }
