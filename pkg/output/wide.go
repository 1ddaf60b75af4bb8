package output

import "io"

// Wide is the table with every cell whole, even on a terminal narrower than the rows.
const Wide Format = "wide"

var wideFormat = Spec{
	Name:    Wide,
	Help:    "the table with every cell whole, on a terminal too (same as --wide); piped, exactly the table",
	Tabular: true,
	Render: func(w io.Writer, v any, o Options) error {
		o.Wide = true
		return writeTable(w, v, o)
	},
}
