package sitefile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"

	"gopkg.in/yaml.v3"
)

// A site file of 10,000 objects is a YAML tree of about half a million nodes, some 50 MB: more than the site it
// describes. A file laid out as export writes it (top-level keys at the start of a line, each followed by its list in
// block style) is therefore read a piece at a time: a key with its value up to its list's first entry, then each
// entry on its own. The YAML of each piece is what it is within the whole file as long as no piece begins inside
// another's value: a line that starts a piece is less indented than any entry's content, which only a quoted scalar
// or a flow collection left open on an earlier line can still belong to, and the piece holding such an opening then
// ends unterminated: a YAML error. So a file whose pieces all read without error reads as the whole file would; on
// any error, or anything else unusual in the layout, the file is read whole, which gives the same document and the
// exact problems.

// eachPiece reads a file line by line, splits it into pieces and gives each, with the line it starts on, to fn (entry:
// an entry of the list of the last key given; text is only valid during the call). It returns false, having stopped,
// when the file is not laid out so: directives, document markers, tabs or carriage returns, anything before the
// first key but comments, an entry less indented than its list, or fn returning false; and the error of a failed
// read.
func eachPiece(r io.Reader, fn func(entry bool, line int, text []byte) bool) (bool, error) {
	const header, entry = 1, 2
	// The first piece starts at the top of the file, with the comments before the first key.
	cur, startLine, seqIndent, keyed := header, 1, -1, false
	var piece, l []byte
	emit := func() bool { return fn(cur == entry, startLine, piece) }
	br := bufio.NewReaderSize(r, 64<<10)
	for line := 1; ; line++ {
		l = l[:0]
		var err error
		for {
			var chunk []byte
			chunk, err = br.ReadSlice('\n')
			l = append(l, chunk...)
			if err != bufio.ErrBufferFull {
				break
			}
		}
		if err != nil && err != io.EOF {
			return false, err
		}
		if len(l) == 0 {
			break
		}
		text := bytes.TrimSuffix(l, []byte("\n"))
		if bytes.ContainsAny(text, "\t\r") {
			return false, nil
		}
		ind := 0
		for ind < len(text) && text[ind] == ' ' {
			ind++
		}
		rest := text[ind:]
		isEntry := len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
		switch {
		case len(rest) == 0 || rest[0] == '#':
			// a blank line or a comment belongs to the piece being read
		case ind == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) || rest[0] == '%'):
			return false, nil
		case !keyed:
			if ind != 0 || isEntry {
				return false, nil
			}
			keyed = true
		case isEntry && ((cur == header && seqIndent < 0) || (cur == entry && ind == seqIndent)):
			if !emit() {
				return false, nil
			}
			cur, piece, startLine, seqIndent = entry, piece[:0], line, ind
		case ind == 0 && !isEntry:
			if !emit() {
				return false, nil
			}
			cur, piece, startLine, seqIndent = header, piece[:0], line, -1
		case ind == 0 || (cur == entry && ind <= seqIndent):
			return false, nil
		}
		piece = append(piece, l...)
		if err == io.EOF {
			break
		}
	}
	return emit(), nil
}

// opener opens a file for reading.
type opener func() (io.ReadCloser, error)

func bytesOpener(data []byte) opener {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// parsePieces reads a file a piece at a time (see eachPiece). ok is false when the file must be read whole; a failed
// read is err, with ok. The document opens the file again to read its objects when they are asked for, and checks
// that it has not changed since.
func (c *Catalog) parsePieces(file string, open opener) (doc *Document, err error, ok bool) {
	f, err := open()
	if err != nil {
		return nil, err, true
	}
	defer f.Close()
	p := c.newDocParser(file)
	h := sha256.New()
	ok, err = c.readPieces(p, io.TeeReader(f, h))
	if err != nil {
		return nil, err, true
	}
	if !ok {
		return nil, nil, false
	}
	p.doc.cat, p.doc.open, p.doc.twice = c, open, p.twice
	h.Sum(p.doc.sum[:0])
	doc, err = p.result()
	return doc, err, true
}

// readPieces reads a file's pieces into a docParser. It returns false when the file must be read whole (or p.yield
// asked for no more).
func (c *Catalog) readPieces(p *docParser, r io.Reader) (bool, error) {
	var k *Kind // the kind whose list is being read (nil: a key that is not one, or with no list)
	var last *yaml.Node
	// Consecutive entries are read together, up to batchSize bytes of them (a few dozen): the YAML parser's own set-up then costs
	// little beside the entries.
	const batchSize = 8 << 10
	var batch []byte
	batchLine, batched := 0, 0
	flush := func() bool {
		if batched == 0 {
			return true
		}
		var root yaml.Node
		err := yaml.Unmarshal(batch, &root)
		if err != nil || len(root.Content) != 1 || root.Content[0].Kind != yaml.SequenceNode || len(root.Content[0].Content) != batched {
			return false
		}
		shiftLines(&root, batchLine-1)
		n := root.Content[0]
		batch, batched = batch[:0], 0
		if last != nil { // the key's value is this list
			vn := last.Content[1]
			if vn.Kind != yaml.ScalarNode || vn.Tag != "!!null" || vn.Value != "" || vn.Anchor != "" || vn.Style != 0 {
				return false
			}
			k = p.kind(last.Content[0], &yaml.Node{Kind: yaml.SequenceNode, Line: n.Line})
			last = nil
		}
		for _, on := range n.Content {
			if k != nil && !p.stop {
				p.object(k, on)
			}
		}
		return !p.stop
	}
	ok, err := eachPiece(r, func(entry bool, line int, text []byte) bool {
		if entry {
			if batched == 0 {
				batchLine = line
			}
			batch = append(batch, text...)
			batched++
			return len(batch) < batchSize || flush()
		}
		if !flush() {
			return false
		}
		var root yaml.Node
		if yaml.Unmarshal(text, &root) != nil {
			return false
		}
		if len(root.Content) == 0 && last == nil && len(p.doc.Kinds) == 0 {
			return true // comments only: an empty file
		}
		if len(root.Content) != 1 {
			return false
		}
		shiftLines(&root, line-1)
		n := root.Content[0]
		if n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 || len(n.Content) != 2 {
			return false
		}
		if last != nil {
			p.kindWithObjects(last.Content[0], last.Content[1])
		}
		k, last = nil, n
		return !p.stop
	})
	if ok && err == nil {
		ok = flush()
	}
	if ok && last != nil {
		p.kindWithObjects(last.Content[0], last.Content[1])
	}
	return ok, err
}

// shiftLines moves the lines of a piece's nodes to the piece's place in the file.
func shiftLines(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shiftLines(c, by)
	}
}
