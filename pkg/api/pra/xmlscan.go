package pra

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// xmlScanner is the streaming XML tokenizer of the command and reporting answers. It accepts and rejects exactly what
// encoding/xml's Decoder does in strict mode (with the charsets newDecoder's CharsetReader allows), with the same
// namespace translation and the same error messages, but reads the input in large blocks, copies text and names
// with table-driven loops and interns element names, so a report decodes at the speed the network delivers it
// (encoding/xml reads byte by byte through an interface and allocates for every name and token). FuzzScanner checks
// the equivalence against encoding/xml.
type xmlScanner struct {
	r        io.Reader
	buf      []byte
	pos, end int
	rerr     error // read error, io.EOF at the end of the input
	lines    int   // newlines in the input already dropped from buf
	err      error // sticky error

	// The current token.
	name      xname   // start or end element, raw prefix and local name
	nsURL     string  // translated namespace of a start element
	attrs     []xattr // attributes of a start element, raw names
	text      []byte  // character data is appended here; callers truncate it
	needClose bool    // a self-closing element: the next token is its end
	toClose   xname

	stack  []xframe // open elements
	ns     map[string]string
	nsUndo []nsSave
	names  map[string]string  // interned names
	nameC  [valueSlots]string // recently interned names, by slot
	nameX  [valueSlots]xname  // recently read names split at their colon, by slot of the raw name
	nsGen  int                // incremented at each change of ns
	nsMemo struct {           // the last translation of a prefix
		gen       int
		space, ns string
		ok        bool
	}
	vkeys [valueSlots]string
	vals  [valueSlots]any
	scr   []byte // scratch for names and attribute values
	ent   []byte // scratch for entity references
}

type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText  // character data appended to text
	tokOther // comment, processing instruction or directive
)

// xname is a name split at its colon; raw is the name as written.
type xname struct{ space, local, raw string }

type xattr struct {
	name  xname
	value string
}

type xframe struct {
	name xname
	undo int // len(nsUndo) before the element's declarations
}

type nsSave struct {
	prefix, url string
	had         bool
}

const (
	xmlURL      = "http://www.w3.org/XML/1998/namespace"
	xmlnsPrefix = "xmlns"
)

// Byte classes.
var (
	nameByte  [256]bool // ASCII bytes that may appear in a name (as encoding/xml's isNameByte)
	plainText [256]bool // bytes copied as they are in character data without further checks
)

func init() {
	for c := 0; c < 256; c++ {
		b := byte(c)
		nameByte[c] = 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '_' || b == ':' || b == '.' || b == '-'
		plainText[c] = (b >= 0x20 && b < 0x7f || b == '\t' || b == '\n') && !strings.ContainsRune("<>&]\r\"'", rune(b))
	}
}

func newScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 64<<10), names: map[string]string{}}
}

// fill reads more input once buf is consumed; false at the end of the input or on a read error (kept in rerr).
func (s *xmlScanner) fill() bool {
	if s.rerr != nil {
		return false
	}
	s.lines += bytes.Count(s.buf[:s.end], []byte{'\n'})
	s.pos, s.end = 0, 0
	for {
		n, err := s.r.Read(s.buf)
		s.end = n
		if err != nil {
			s.rerr = err
		}
		if n > 0 {
			return true
		}
		if err != nil {
			return false
		}
	}
}

func (s *xmlScanner) line() int { return 1 + s.lines + bytes.Count(s.buf[:s.pos], []byte{'\n'}) }

func (s *xmlScanner) syntax(msg string) {
	s.err = &xml.SyntaxError{Msg: msg, Line: s.line()}
}

// getc reads a byte; at the end of the input or on a read error it sets err (io.EOF or the read error).
func (s *xmlScanner) getc() (byte, bool) {
	if s.err != nil {
		return 0, false
	}
	if s.pos == s.end && !s.fill() {
		s.err = s.rerr
		return 0, false
	}
	b := s.buf[s.pos]
	s.pos++
	return b, true
}

// ungetc puts back the byte getc just returned.
func (s *xmlScanner) ungetc() { s.pos-- }

// mustgetc is getc where the end of the input is a syntax error.
func (s *xmlScanner) mustgetc() (byte, bool) {
	b, ok := s.getc()
	if !ok && s.err == io.EOF {
		s.syntax("unexpected EOF")
	}
	return b, ok
}

func (s *xmlScanner) space() {
	for s.err == nil && s.pos < s.end {
		switch s.buf[s.pos] {
		case ' ', '\r', '\n', '\t':
			s.pos++
		default:
			return
		}
	}
	for {
		b, ok := s.getc()
		if !ok {
			return
		}
		switch b {
		case ' ', '\r', '\n', '\t':
		default:
			s.ungetc()
			return
		}
	}
}

// readName appends a name's bytes to *dst: name bytes and every byte of a multi-byte character.
func (s *xmlScanner) readName(dst *[]byte) bool {
	b, ok := s.mustgetc()
	if !ok {
		return false
	}
	if b < utf8.RuneSelf && !nameByte[b] {
		s.ungetc()
		return false
	}
	*dst = append(*dst, b)
	for {
		if s.pos == s.end {
			if _, ok := s.mustgetc(); !ok {
				return false
			}
			s.ungetc()
		}
		i := s.pos
		for i < s.end && (s.buf[i] >= utf8.RuneSelf || nameByte[s.buf[i]]) {
			i++
		}
		*dst = append(*dst, s.buf[s.pos:i]...)
		s.pos = i
		if i < s.end {
			return true
		}
	}
}

// readNameString reads a name, checks it and returns it interned.
func (s *xmlScanner) readNameString() (string, bool) {
	s.scr = s.scr[:0]
	if !s.readName(&s.scr) {
		return "", false
	}
	if !isXMLName(s.scr) {
		s.syntax("invalid XML name: " + string(s.scr))
		return "", false
	}
	return s.intern(s.scr), true
}

func (s *xmlScanner) intern(b []byte) string {
	h := slot(b)
	if s.nameC[h] == string(b) {
		return s.nameC[h]
	}
	if n, ok := s.names[string(b)]; ok {
		s.nameC[h] = n
		return n
	}
	n := string(b)
	if len(s.names) < 4096 {
		s.names[n] = n
	}
	return n
}

// valueSlots is the size of the cache of recent short values.
const valueSlots = 1024

// slot is the cache slot of a short value: a hash of its length and of its first and last eight bytes (names and
// values that differ only in the middle share a slot, and the cache compares the whole value anyway).
func slot[T string | []byte](b T) uint32 {
	n := len(b)
	var x, y uint64
	switch {
	case n >= 8:
		x = le64(b[:8])
		y = le64(b[n-8:])
	case n >= 4:
		x = uint64(le32(b[:4]))
		y = uint64(le32(b[n-4:]))
	case n > 0:
		x = uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	h := (x*0x9e3779b97f4a7c15 ^ y*0xc2b2ae3d27d4eb4f ^ uint64(n)) * 0x165667b19e3779f9
	return uint32(h>>32) % valueSlots
}

func le64[T string | []byte](b T) uint64 {
	_ = b[7]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func le32[T string | []byte](b T) uint32 {
	_ = b[3]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// str returns b as a string. The values of a report repeat (types, ids, addresses, event names): a small
// direct-mapped cache of recent short values hands out the same string instead of allocating one for each.
func (s *xmlScanner) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > 40 {
		return string(b)
	}
	h := slot(b)
	if s.vkeys[h] == string(b) {
		return s.vkeys[h]
	}
	str := string(b)
	s.vkeys[h], s.vals[h] = str, nil
	return str
}

// box returns str in an interface, boxed once per cached value rather than once per use.
func (s *xmlScanner) box(str string) any {
	if str == "" {
		return ""
	}
	if len(str) > 40 {
		return str
	}
	h := slot(str)
	if s.vkeys[h] != str {
		return str
	}
	if s.vals[h] == nil {
		s.vals[h] = s.vkeys[h]
	}
	return s.vals[h]
}

// nsname reads a name and splits it at its colon.
func (s *xmlScanner) nsname() (xname, bool) {
	if n, ok := s.recentName(); ok {
		return n, true
	}
	n, ok := s.readNameString()
	if !ok || strings.Count(n, ":") > 1 {
		return xname{}, false
	}
	x := xname{local: n, raw: n}
	if space, local, ok := strings.Cut(n, ":"); ok && space != "" && local != "" {
		x = xname{s.intern([]byte(space)), s.intern([]byte(local)), n}
	}
	s.nameX[slot(n)] = x
	return x, true
}

// recentName is nsname for a name read recently (so valid) that ends inside the buffer, before an ASCII byte: the
// usual name costs a scan, a hash and a comparison. It reads nothing when the name is not one of those.
func (s *xmlScanner) recentName() (xname, bool) {
	if s.err != nil {
		return xname{}, false
	}
	buf := s.buf[s.pos:s.end]
	i := 0
	for i < len(buf) && nameByte[buf[i]] {
		i++
	}
	if i == 0 || i == len(buf) || buf[i] >= utf8.RuneSelf {
		return xname{}, false
	}
	x := &s.nameX[slot(buf[:i])]
	if x.raw != string(buf[:i]) {
		return xname{}, false
	}
	s.pos += i
	return *x, true
}

// isXMLName reports whether b is an XML name as encoding/xml defines it. Names outside ASCII are rare: they are
// asked of encoding/xml itself, whose character tables are not exported.
func isXMLName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if !ascii {
		return nonASCIIName(string(b))
	}
	if c := b[0]; c >= '0' && c <= '9' || c == '-' || c == '.' {
		return false
	}
	for _, c := range b {
		if !nameByte[c] {
			return false
		}
	}
	return true
}

var nonASCIINames sync.Map

func nonASCIIName(n string) bool {
	if v, ok := nonASCIINames.Load(n); ok {
		return v.(bool)
	}
	// ':' is a first and a following name character, as 'a' is: replacing it keeps the answer and leaves one name.
	d := xml.NewDecoder(strings.NewReader("<" + strings.ReplaceAll(n, ":", "a") + "/>"))
	_, err := d.RawToken()
	nonASCIINames.Store(n, err == nil)
	return err == nil
}

// charsetOK says whether a declared encoding is read as it is (UTF-8 and ASCII, under their common names).
func charsetOK(charset string) error {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii", "":
		return nil
	}
	return fmt.Errorf("unsupported XML encoding %q", charset)
}

var entities = map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": `"`}

// readText appends character data to *dst until '<' (quote < 0), the closing quote, or "]]>" (cdata), replacing
// entities and line ends as encoding/xml does, then checks the characters.
func (s *xmlScanner) readText(dst *[]byte, quote int, cdata bool) bool {
	out := *dst
	start := len(out)
	var b0, b1 byte
	check := false
	trunc := 0
	defer func() { *dst = out }()
	for {
		// Plain bytes: copied in a block.
		if s.err == nil && s.pos < s.end && plainText[s.buf[s.pos]] && b1 != '\r' {
			i := s.pos
			for i < s.end && plainText[s.buf[i]] {
				i++
			}
			out = append(out, s.buf[s.pos:i]...)
			if i-s.pos >= 2 {
				b0 = s.buf[i-2]
			} else {
				b0 = b1
			}
			b1 = s.buf[i-1]
			s.pos = i
			continue
		}
		b, ok := s.getc()
		if !ok {
			if cdata {
				if s.err == io.EOF {
					s.syntax("unexpected EOF in CDATA section")
				}
				return false
			}
			break
		}
		if quote < 0 && b0 == ']' && b1 == ']' && b == '>' {
			if cdata {
				trunc = 2
				break
			}
			s.syntax("unescaped ]]> not in CDATA section")
			return false
		}
		if b == '<' && !cdata {
			if quote >= 0 {
				s.syntax("unescaped < inside quoted string")
				return false
			}
			s.ungetc()
			break
		}
		if quote >= 0 && b == byte(quote) {
			break
		}
		if b == '&' && !cdata {
			var ok bool
			if out, ok = s.appendEntity(out, &check); !ok {
				return false
			}
			b0, b1 = 0, 0
			continue
		}
		switch {
		case b == '\r':
			out = append(out, '\n')
		case b1 == '\r' && b == '\n':
		default:
			if b < 0x20 || b >= utf8.RuneSelf {
				check = true
			}
			out = append(out, b)
		}
		b0, b1 = b1, b
	}
	out = out[:len(out)-trunc]
	if check {
		return s.checkChars(out[start:])
	}
	return true
}

// plainRun is the length of the run of plain bytes (plainText) at the start of b.
func plainRun(b []byte) int {
	i := 0
	for i < len(b) && plainText[b[i]] {
		i++
	}
	return i
}

// appendEntity reads the reference after '&' and appends its replacement text to out, setting *check when that text
// holds characters to check (controls or non-ASCII, from a character reference).
func (s *xmlScanner) appendEntity(out []byte, check *bool) ([]byte, bool) {
	text, ok := s.entity()
	if !ok {
		return out, false
	}
	out = append(out, text...)
	for i := 0; i < len(text); i++ {
		if c := text[i]; c < 0x20 || c >= utf8.RuneSelf {
			*check = true
		}
	}
	return out, true
}

// checkChars refuses invalid UTF-8 and characters outside XML's range.
func (s *xmlScanner) checkChars(data []byte) bool {
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			s.syntax("invalid UTF-8")
			return false
		}
		data = data[size:]
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			s.syntax(fmt.Sprintf("illegal character code %U", r))
			return false
		}
	}
	return true
}

// entity reads a reference after '&' and returns its text: the five predefined entities and character references.
func (s *xmlScanner) entity() (string, bool) {
	raw := append(s.ent[:0], '&')
	defer func() { s.ent = raw }()
	b, ok := s.mustgetc()
	if !ok {
		return "", false
	}
	text, have := "", false
	if b == '#' {
		raw = append(raw, b)
		if b, ok = s.mustgetc(); !ok {
			return "", false
		}
		base := 10
		if b == 'x' {
			base = 16
			raw = append(raw, b)
			if b, ok = s.mustgetc(); !ok {
				return "", false
			}
		}
		start := len(raw)
		for '0' <= b && b <= '9' || base == 16 && ('a' <= b && b <= 'f' || 'A' <= b && b <= 'F') {
			raw = append(raw, b)
			if b, ok = s.mustgetc(); !ok {
				return "", false
			}
		}
		if b != ';' {
			s.ungetc()
		} else {
			n, err := strconv.ParseUint(string(raw[start:]), base, 64)
			raw = append(raw, ';')
			if err == nil && n <= unicode.MaxRune {
				text, have = string(rune(n)), true
			}
		}
	} else {
		s.ungetc()
		if !s.readName(&raw) && s.err != nil {
			return "", false
		}
		if b, ok = s.mustgetc(); !ok {
			return "", false
		}
		if b != ';' {
			s.ungetc()
		} else {
			name := raw[1:]
			raw = append(raw, ';')
			if isXMLName(name) {
				text, have = entities[string(name)]
			}
		}
	}
	if have {
		return text, true
	}
	ent := string(raw)
	if ent[len(ent)-1] != ';' {
		ent += " (no semicolon)"
	}
	s.syntax("invalid character entity " + ent)
	return "", false
}

// next reads the next token. At the end of the input it returns io.EOF outside any element and a syntax error
// inside one.
func (s *xmlScanner) next() (tokKind, error) {
	k := s.rawToken()
	if k == 0 {
		if s.err == io.EOF && len(s.stack) > 0 {
			return 0, &xml.SyntaxError{Msg: "unexpected EOF", Line: s.line()}
		}
		return 0, s.err
	}
	switch k {
	case tokStart:
		s.startElement()
	case tokEnd:
		if !s.endElement() {
			return 0, s.err
		}
	}
	return k, nil
}

func (s *xmlScanner) rawToken() tokKind {
	if s.err != nil {
		return 0
	}
	if s.needClose {
		s.needClose = false
		s.name = s.toClose
		return tokEnd
	}
	b, ok := s.getc()
	if !ok {
		return 0
	}
	if b != '<' {
		s.ungetc()
		// Usual text: plain bytes up to a '<' in the buffer, copied as they are.
		if i := plainRun(s.buf[s.pos:s.end]); s.pos+i < s.end && s.buf[s.pos+i] == '<' {
			s.text = append(s.text, s.buf[s.pos:s.pos+i]...)
			s.pos += i
			return tokText
		}
		if !s.readText(&s.text, -1, false) {
			return 0
		}
		return tokText
	}
	if b, ok = s.mustgetc(); !ok {
		return 0
	}
	switch b {
	case '/':
		n, ok := s.openName()
		if !ok {
			n, ok = s.nsname()
		}
		if !ok {
			if s.err == nil {
				s.syntax("expected element name after </")
			}
			return 0
		}
		s.space()
		if b, ok = s.mustgetc(); !ok {
			return 0
		}
		if b != '>' {
			s.syntax("invalid characters between </" + n.local + " and >")
			return 0
		}
		s.name = n
		return tokEnd
	case '?':
		return s.procInst()
	case '!':
		return s.bang()
	}
	s.ungetc()
	return s.startTag()
}

// openName reads the name of an end tag when it is the open element's, as nsname would: the usual end tag costs a
// comparison instead of a name's reading and interning. It reads nothing when the input differs or is not buffered.
func (s *xmlScanner) openName() (xname, bool) {
	if len(s.stack) == 0 || s.err != nil {
		return xname{}, false
	}
	n := s.stack[len(s.stack)-1].name
	end := s.pos + len(n.raw)
	if end >= s.end || string(s.buf[s.pos:end]) != n.raw {
		return xname{}, false
	}
	if c := s.buf[end]; c >= utf8.RuneSelf || nameByte[c] {
		return xname{}, false
	}
	s.pos = end
	return n, true
}

func (s *xmlScanner) startTag() tokKind {
	n, ok := s.nsname()
	if !ok {
		if s.err == nil {
			s.syntax("expected element name after <")
		}
		return 0
	}
	s.attrs = s.attrs[:0]
	for {
		s.space()
		b, ok := s.mustgetc()
		if !ok {
			return 0
		}
		if b == '/' {
			if b, ok = s.mustgetc(); !ok {
				return 0
			}
			if b != '>' {
				s.syntax("expected /> in element")
				return 0
			}
			s.needClose, s.toClose = true, n
			break
		}
		if b == '>' {
			break
		}
		s.ungetc()
		an, ok := s.nsname()
		if !ok {
			if s.err == nil {
				s.syntax("expected attribute name in element")
			}
			return 0
		}
		s.space()
		if b, ok = s.mustgetc(); !ok {
			return 0
		}
		if b != '=' {
			s.syntax("attribute name without = in element")
			return 0
		}
		s.space()
		if b, ok = s.mustgetc(); !ok {
			return 0
		}
		if b != '"' && b != '\'' {
			s.syntax("unquoted or missing attribute value in element")
			return 0
		}
		// Usual value: plain bytes up to the closing quote in the buffer.
		if i := plainRun(s.buf[s.pos:s.end]); s.pos+i < s.end && s.buf[s.pos+i] == b {
			s.attrs = append(s.attrs, xattr{an, s.str(s.buf[s.pos : s.pos+i])})
			s.pos += i + 1
			continue
		}
		s.scr = s.scr[:0]
		if !s.readText(&s.scr, int(b), false) {
			return 0
		}
		s.attrs = append(s.attrs, xattr{an, s.str(s.scr)})
	}
	s.name = n
	return tokStart
}

// procInst reads a processing instruction after "<?". The XML declaration's version and encoding are checked.
func (s *xmlScanner) procInst() tokKind {
	target, ok := s.readNameString()
	if !ok {
		if s.err == nil {
			s.syntax("expected target name after <?")
		}
		return 0
	}
	s.space()
	s.scr = s.scr[:0]
	var b0 byte
	for {
		b, ok := s.mustgetc()
		if !ok {
			return 0
		}
		s.scr = append(s.scr, b)
		if b0 == '?' && b == '>' {
			break
		}
		b0 = b
	}
	if target == "xml" {
		content := string(s.scr[:len(s.scr)-2])
		if ver := procInstParam("version", content); ver != "" && ver != "1.0" {
			s.err = fmt.Errorf("xml: unsupported version %q; only version 1.0 is supported", ver)
			return 0
		}
		if enc := procInstParam("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			if err := charsetOK(enc); err != nil {
				s.err = fmt.Errorf("xml: opening charset %q: %w", enc, err)
				return 0
			}
		}
	}
	return tokOther
}

// procInstParam is encoding/xml's reading of a parameter of the XML declaration.
func procInstParam(param, s string) string {
	param += "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// bang reads what follows "<!": a comment, a CDATA section (character data) or a directive.
func (s *xmlScanner) bang() tokKind {
	b, ok := s.mustgetc()
	if !ok {
		return 0
	}
	switch b {
	case '-':
		if b, ok = s.mustgetc(); !ok {
			return 0
		}
		if b != '-' {
			s.syntax("invalid sequence <!- not part of <!--")
			return 0
		}
		var b0, b1 byte
		for {
			if b, ok = s.mustgetc(); !ok {
				return 0
			}
			if b0 == '-' && b1 == '-' {
				if b != '>' {
					s.syntax(`invalid sequence "--" not allowed in comments`)
					return 0
				}
				return tokOther
			}
			b0, b1 = b1, b
		}
	case '[':
		for i := 0; i < 6; i++ {
			if b, ok = s.mustgetc(); !ok {
				return 0
			}
			if b != "CDATA["[i] {
				s.syntax("invalid <![ sequence")
				return 0
			}
		}
		if !s.readText(&s.text, -1, true) {
			return 0
		}
		return tokText
	}
	return s.directive()
}

// directive skips a directive (<!DOCTYPE …>) as encoding/xml delimits it: quoted '>' and comments do not end it,
// nested '<' … '>' pairs are counted.
func (s *xmlScanner) directive() tokKind {
	var inquote byte
	depth := 0
	for {
		b, ok := s.mustgetc()
		if !ok {
			return 0
		}
		if inquote == 0 && b == '>' && depth == 0 {
			return tokOther
		}
	handle:
		switch {
		case b == inquote:
			inquote = 0
		case inquote != 0:
		case b == '\'' || b == '"':
			inquote = b
		case b == '>':
			depth--
		case b == '<':
			const open = "!--"
			for i := 0; i < len(open); i++ {
				if b, ok = s.mustgetc(); !ok {
					return 0
				}
				if b != open[i] {
					depth++
					goto handle
				}
			}
			var b0, b1 byte
			for {
				if b, ok = s.mustgetc(); !ok {
					return 0
				}
				if b0 == '-' && b1 == '-' && b == '>' {
					break
				}
				b0, b1 = b1, b
			}
		}
	}
}

// startElement applies the element's namespace declarations, opens it and translates its name.
func (s *xmlScanner) startElement() {
	undo := len(s.nsUndo)
	for _, a := range s.attrs {
		switch {
		case a.name.space == xmlnsPrefix:
			s.declare(a.name.local, a.value)
		case a.name.space == "" && a.name.local == xmlnsPrefix:
			s.declare("", a.value)
		}
	}
	s.stack = append(s.stack, xframe{name: s.name, undo: undo})
	s.nsURL = s.translate(s.name, true)
}

func (s *xmlScanner) declare(prefix, url string) {
	if s.ns == nil {
		s.ns = map[string]string{}
	}
	old, had := s.ns[prefix]
	s.nsUndo = append(s.nsUndo, nsSave{prefix, old, had})
	s.ns[prefix] = url
	s.nsGen++
}

// endElement checks the end tag against the open element and restores the namespaces it declared.
func (s *xmlScanner) endElement() bool {
	n := s.name
	if len(s.stack) == 0 {
		s.syntax("unexpected end element </" + n.local + ">")
		return false
	}
	top := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	switch {
	case top.name.local != n.local:
		s.syntax("element <" + top.name.local + "> closed by </" + n.local + ">")
		return false
	case top.name.space != n.space:
		ns := n.space
		if ns == "" {
			ns = `""`
		}
		s.syntax("element <" + top.name.local + "> in space " + top.name.space + " closed by </" + n.local + "> in space " + ns)
		return false
	}
	for len(s.nsUndo) > top.undo {
		u := s.nsUndo[len(s.nsUndo)-1]
		s.nsUndo = s.nsUndo[:len(s.nsUndo)-1]
		if u.had {
			s.ns[u.prefix] = u.url
		} else {
			delete(s.ns, u.prefix)
		}
		s.nsGen++
	}
	return true
}

// translate is encoding/xml's namespace translation of a name (element names take the default namespace).
func (s *xmlScanner) translate(n xname, element bool) string {
	sp := n.space
	switch {
	case sp == xmlnsPrefix:
		return sp
	case sp == "" && !element:
		return ""
	case sp == "xml":
		sp = xmlURL
	case sp == "" && n.local == xmlnsPrefix:
		return ""
	}
	m := &s.nsMemo
	if m.gen != s.nsGen || m.space != sp || !m.ok {
		m.ns, m.ok = s.ns[sp]
		if !m.ok {
			m.ns = sp
		}
		m.gen, m.space, m.ok = s.nsGen, sp, true
	}
	return m.ns
}
