package fn

import (
	"strings"
	"testing"
)

// TestCRLFItemsComeBackByteForByte: items of a list written with CRLF line
// breaks come back with them, as the README promises for every item of a
// block list, and a second run changes nothing.
func TestCRLFItemsComeBackByteForByte(t *testing.T) {
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
	lf := userItem + "\n# the next item\n" + `- apiVersion: v1
  kind: Secret
  metadata: {name: token, namespace: shop}
  stringData:
    note: |
      two
      lines
`
	items := crlf(lf)
	for _, tt := range []struct{ name, in string }{
		{"all CRLF", crlf(inputList(lf, "    profile: minimal\n"))},
		{"CRLF items in an LF list", inputList(items, "    profile: minimal\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := execute(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(out, "items:\n"+items) {
				t.Errorf("the items did not come back byte for byte:\n%q", out[:min(len(out), 600)])
			}
			if !strings.Contains(out, "kind: CustomResourceDefinition") {
				t.Error("the mesh was not rendered")
			}
			assertIdempotent(t, out)
		})
	}
}
