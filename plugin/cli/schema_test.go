package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSchemaOfEachKind(t *testing.T) {
	for kind, title := range map[string]string{"Mesh": "meshrender Mesh", "Application": "meshrender Application", "Fleet": "meshrender Fleet"} {
		code, out, _ := run(t, "", "schema", "--kind", kind)
		var v map[string]any
		if code != ExitOK || json.Unmarshal([]byte(out), &v) != nil || v["title"] != title {
			t.Errorf("--kind %s: exit %d, schema not a JSON object titled %q", kind, code, title)
		}
	}
	code, _, errOut := run(t, "", "schema", "--kind", "Gateway")
	if code != ExitUsage || !strings.Contains(errOut, "--kind must be Mesh, Application or Fleet") {
		t.Errorf("--kind Gateway: exit %d, stderr %q", code, errOut)
	}
}
