package catalog

import (
	"regexp"
	"strings"
	"unicode/utf8"
)

// Prose is a description from a document (CommonMark in OpenAPI), parsed
// into blocks of plain text. Views render it escaped: no HTML or link in a
// document ever reaches the page as markup.
type Prose []Block

// Block kinds.
const (
	BlockParagraph = "p"
	BlockHeading   = "h"
	BlockCode      = "code"
	BlockList      = "list"
	BlockTable     = "table"
)

// Block is a paragraph, heading, code block, list or table.
type Block struct {
	Kind string
	// Level is a heading's level (1 for #).
	Level int
	// Spans are a paragraph's or heading's text.
	Spans []Span
	// Items are a list's items; Ordered for 1. 2. 3.
	Items   [][]Span
	Ordered bool
	// Rows are a table's rows, the header first.
	Rows [][][]Span
	Code string
	Lang string
}

// Span is a run of text, possibly code, strong or emphasised.
type Span struct {
	Text   string
	Code   bool
	Strong bool
	Em     bool
}

// FirstParagraph is the text of the first paragraph, plain.
func (p Prose) FirstParagraph() string {
	for _, b := range p {
		if b.Kind == BlockParagraph {
			return plain(b.Spans)
		}
	}
	return ""
}

// Plain is the whole text without markup, blocks separated by a space.
func (p Prose) Plain() string {
	var parts []string
	for _, b := range p {
		switch b.Kind {
		case BlockCode:
			parts = append(parts, b.Code)
		case BlockList:
			for _, it := range b.Items {
				parts = append(parts, plain(it))
			}
		case BlockTable:
			for _, row := range b.Rows {
				for _, cell := range row {
					parts = append(parts, plain(cell))
				}
			}
		default:
			parts = append(parts, plain(b.Spans))
		}
	}
	return strings.Join(parts, " ")
}

func plain(spans []Span) string {
	var sb strings.Builder
	for _, s := range spans {
		sb.WriteString(s.Text)
	}
	return sb.String()
}

var (
	headingLine = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*$`)
	listLine    = regexp.MustCompile(`^([*+-]|\d{1,3}[.)])\s+(.*)$`)
	tableSep    = regexp.MustCompile(`^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$`)
)

// ParseProse splits a description into blocks: paragraphs (split on blank
// lines), # headings, fenced code, - lists and | tables.
func ParseProse(s string) Prose {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	var out Prose
	var para []string
	flush := func() {
		if len(para) > 0 {
			out = append(out, Block{Kind: BlockParagraph, Spans: Inline(strings.Join(para, " "))})
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			flush()
			fence, indent := t[:3], len(lines[i])-len(strings.TrimLeft(lines[i], " "))
			var code []string
			for i++; i < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[i]), fence); i++ {
				l := lines[i]
				if len(l)-len(strings.TrimLeft(l, " ")) >= indent {
					l = l[indent:]
				}
				code = append(code, l)
			}
			out = append(out, Block{Kind: BlockCode, Code: strings.Join(code, "\n"), Lang: strings.TrimSpace(strings.Trim(t, "`~"))})
		case headingLine.MatchString(t):
			flush()
			m := headingLine.FindStringSubmatch(t)
			out = append(out, Block{Kind: BlockHeading, Level: len(m[1]), Spans: Inline(m[2])})
		case strings.HasPrefix(t, "|") && i+1 < len(lines) && tableSep.MatchString(strings.TrimSpace(lines[i+1])):
			flush()
			rows := [][][]Span{tableCells(t)}
			for i += 2; i < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i]), "|"); i++ {
				rows = append(rows, tableCells(strings.TrimSpace(lines[i])))
			}
			i--
			out = append(out, Block{Kind: BlockTable, Rows: rows})
		case listLine.MatchString(t) && len(para) == 0:
			var list Block
			i, list = parseList(lines, i)
			out = append(out, list)
		default:
			para = append(para, t)
		}
	}
	flush()
	return out
}

// parseList reads the list starting at line i; it returns the index of its
// last line. Items continue over following lines; a blank line ends the
// list unless another item follows.
func parseList(lines []string, i int) (int, Block) {
	b := Block{Kind: BlockList}
	var cur []string
	flush := func() {
		if cur != nil {
			b.Items = append(b.Items, Inline(strings.Join(cur, " ")))
			cur = nil
		}
	}
	last := i
	for ; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t == "" {
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j]) == "" {
				j++
			}
			if j < len(lines) && listLine.MatchString(strings.TrimSpace(lines[j])) {
				i = j - 1
				continue
			}
			break
		}
		if m := listLine.FindStringSubmatch(t); m != nil {
			flush()
			if len(b.Items) == 0 {
				b.Ordered = m[1][0] >= '0' && m[1][0] <= '9'
			}
			cur = []string{m[2]}
		} else if strings.HasPrefix(t, "```") || headingLine.MatchString(t) {
			break
		} else {
			cur = append(cur, t)
		}
		last = i
	}
	flush()
	return last, b
}

func tableCells(line string) [][]Span {
	line = strings.TrimSuffix(strings.TrimPrefix(line, "|"), "|")
	var out [][]Span
	for _, c := range splitCells(line) {
		out = append(out, Inline(strings.TrimSpace(c)))
	}
	return out
}

// splitCells splits on | outside code spans.
func splitCells(s string) []string {
	var out []string
	var cur strings.Builder
	inCode := false
	for _, r := range s {
		switch {
		case r == '`':
			inCode = !inCode
			cur.WriteRune(r)
		case r == '|' && !inCode:
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteRune(r)
		}
	}
	return append(out, cur.String())
}

var linkPattern = regexp.MustCompile(`\[([^\]]+)\]\([^)\s]+\)`)

// Inline splits text into spans: `code`, **strong**, *emphasis*. Links
// keep their text only.
func Inline(s string) []Span {
	s = linkPattern.ReplaceAllString(s, "$1")
	var out []Span
	add := func(sp Span) {
		if sp.Text == "" {
			return
		}
		if n := len(out); n > 0 && sp == (Span{Text: sp.Text}) && out[n-1] == (Span{Text: out[n-1].Text}) {
			out[n-1].Text += sp.Text
			return
		}
		out = append(out, sp)
	}
	for s != "" {
		switch {
		case s[0] == '`':
			if end := strings.IndexByte(s[1:], '`'); end >= 0 {
				add(Span{Text: s[1 : end+1], Code: true})
				s = s[end+2:]
				continue
			}
		case strings.HasPrefix(s, "**"):
			if end := strings.Index(s[2:], "**"); end > 0 {
				add(Span{Text: s[2 : end+2], Strong: true})
				s = s[end+4:]
				continue
			}
		case s[0] == '*' && len(s) > 1 && s[1] != ' ':
			if end := strings.IndexByte(s[1:], '*'); end > 0 && s[end] != ' ' {
				add(Span{Text: s[1 : end+1], Em: true})
				s = s[end+2:]
				continue
			}
		}
		next := strings.IndexAny(s[1:], "`*")
		if next < 0 {
			add(Span{Text: s})
			break
		}
		add(Span{Text: s[:next+1]})
		s = s[next+1:]
	}
	return out
}

// Truncate shortens s to about n characters at a word boundary.
func Truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := strings.LastIndexByte(string(r), ' ')
	if cut < n/2 {
		cut = len(string(r))
	}
	return strings.TrimRight(string(r)[:cut], " ,;:.") + "…"
}
