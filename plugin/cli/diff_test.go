package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshrender/meshrender/render"
	"github.com/meshrender/meshrender/render/api/v1alpha1"
)

// writeTemp writes data into a file of the test's own and returns its path.
func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDiffIdenticalMeshes(t *testing.T) {
	path := writeTemp(t, "mesh.yaml", validMesh)
	for _, args := range [][]string{{"diff", path, path}, {"diff", path, "-"}, {"diff", "-", path}} {
		if code, out, errOut := run(t, validMesh, args...); code != ExitOK || out != "" || errOut != "" {
			t.Errorf("%v: exit %d, stdout %.200q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestDiffMeshes(t *testing.T) {
	old := writeTemp(t, "old.yaml", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: cli}\nspec: {profile: minimal, version: 1.30.2}\n")
	revisioned := "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: cli}\nspec: {profile: minimal, revision: 1-30-3, version: 1.30.3}\n"
	code, out, errOut := run(t, revisioned, "diff", old, "-")
	if code != ExitDiffer || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	// istiod is replaced by a revision of its own, and what the mesh
	// owns once moves to the new release.
	for _, line := range []string{
		"+ Deployment istio-system/istiod-1-30-3\n",
		"- Deployment istio-system/istiod\n",
		"~ Namespace istio-system\n",
		"~ PeerAuthentication istio-system/default\n",
		`--- a/Namespace istio-system
+++ b/Namespace istio-system
@@ -5,7 +5,7 @@
     app.kubernetes.io/instance: cli
     app.kubernetes.io/managed-by: meshrender
     app.kubernetes.io/part-of: istio
-    app.kubernetes.io/version: 1.30.2
+    app.kubernetes.io/version: 1.30.3
     istio-injection: disabled
     pod-security.kubernetes.io/audit: restricted
     pod-security.kubernetes.io/enforce: restricted
--- a/`,
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	// The sections come in order, each in install order: cluster RBAC
	// first, the Deployment after its ServiceAccount.
	summary, diffs, _ := strings.Cut(out, "--- a/")
	if !inOrder(summary, "+ ServiceAccount istio-system/istiod-1-30-3", "+ Deployment istio-system/istiod-1-30-3",
		"- ClusterRole istio-reader-clusterrole-istio-system\n", "- Deployment istio-system/istiod\n", "~ Namespace istio-system") {
		t.Errorf("summary out of order:\n%s", summary)
	}
	for _, l := range strings.Split(strings.TrimSuffix(summary, "\n"), "\n") {
		if !strings.HasPrefix(l, "+ ") && !strings.HasPrefix(l, "- ") && !strings.HasPrefix(l, "~ ") {
			t.Errorf("summary line %q", l)
		}
	}
	if n := strings.Count(summary, "\n~ "); strings.Count(out, "\n--- a/") != n || strings.Count(diffs, "\n+++ b/") != n {
		t.Errorf("%d changed objects, %d diffs", n, strings.Count(out, "\n--- a/"))
	}

	code, only, _ := run(t, revisioned, "diff", "--summary", old, "-")
	if code != ExitDiffer || only != summary {
		t.Errorf("--summary: exit %d, output is not the summary:\n%s", code, only)
	}
	code, again, _ := run(t, revisioned, "diff", old, "-")
	if code != ExitDiffer || again != out {
		t.Error("a second run prints another diff")
	}
	// A brief kind keeps its line and loses its diff; the rest is as it was.
	code, brief, _ := run(t, revisioned, "diff", "--brief-kind", "Namespace", "--brief-kind", "PeerAuthentication", old, "-")
	if code != ExitDiffer || !strings.HasPrefix(brief, summary) || strings.Contains(brief, "--- a/Namespace ") || strings.Contains(brief, "--- a/PeerAuthentication ") ||
		strings.Count(brief, "\n--- a/") != strings.Count(out, "\n--- a/")-2 {
		t.Errorf("--brief-kind: exit %d, output:\n%s", code, brief)
	}
}

// inOrder reports whether s holds each of parts, one after the other.
func inOrder(s string, parts ...string) bool {
	for _, p := range parts {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

func TestDiffMeshAgainstItsRendering(t *testing.T) {
	m, err := v1alpha1.Decode([]byte(validMesh))
	if err != nil {
		t.Fatal(err)
	}
	var rendered strings.Builder
	if err := render.Write(&rendered, m); err != nil {
		t.Fatal(err)
	}
	stream := writeTemp(t, "istio.yaml", rendered.String())
	mesh := writeTemp(t, "mesh.yaml", validMesh)
	for _, args := range [][]string{{"diff", mesh, stream}, {"diff", stream, mesh}, {"diff", stream, "-"}} {
		if code, out, errOut := run(t, validMesh, args...); code != ExitOK || out != "" || errOut != "" {
			t.Errorf("%v: exit %d, stdout %.300q, stderr %q", args, code, out, errOut)
		}
	}
	// The default mesh differs from it, and only it, but for the objects
	// the minimal profile leaves out.
	def := writeTemp(t, "default.yaml", "apiVersion: meshrender.dev/v1alpha1\nkind: Mesh\nmetadata: {name: cli}\n")
	if code, out, _ := run(t, "", "diff", "--summary", stream, def); code != ExitDiffer || !strings.Contains(out, "+ Deployment istio-ingress/istio-ingressgateway\n") {
		t.Errorf("against the default mesh: exit %d\n%s", code, out)
	}
}

func TestDiffStreams(t *testing.T) {
	old := `# two objects
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  a: "1"
  b: two
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
spec: {selector: {istio: ingressgateway}}
---
`
	// The same objects, in another order, with other key order, quoting,
	// indentation and flow style.
	same := `---
kind: Gateway
metadata:
    namespace: shop
    name: web
spec:
    selector:
        istio: "ingressgateway"
apiVersion: networking.istio.io/v1
---
data: {b: "two", a: '1'}
metadata: {namespace: shop, name: settings}
kind: ConfigMap
apiVersion: v1
`
	path := writeTemp(t, "old.yaml", old)
	if code, out, errOut := run(t, same, "diff", path, "-"); code != ExitOK || out != "" || errOut != "" {
		t.Errorf("reordered keys: exit %d, stdout %q, stderr %q", code, out, errOut)
	}

	// A Gateway of the Gateway API beside Istio's: the kinds name their
	// groups.
	changed := strings.Replace(same, `a: '1'`, `a: '2'`, 1) + `---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: web, namespace: shop}
`
	want := `+ Gateway.gateway.networking.k8s.io shop/web
~ ConfigMap shop/settings
--- a/ConfigMap shop/settings
+++ b/ConfigMap shop/settings
@@ -1,6 +1,6 @@
 apiVersion: v1
 data:
-  a: "1"
+  a: "2"
   b: two
 kind: ConfigMap
 metadata:
`
	if code, out, errOut := run(t, changed, "diff", path, "-"); code != ExitDiffer || out != want || errOut != "" {
		t.Errorf("exit %d, stderr %q, output\n%s\nwant\n%s", code, errOut, out, want)
	}
	if code, out, _ := run(t, old, "diff", "-", "/dev/null"); code != ExitDiffer || out != "- ConfigMap shop/settings\n- Gateway shop/web\n" {
		t.Errorf("against nothing: exit %d\n%s", code, out)
	}
}
