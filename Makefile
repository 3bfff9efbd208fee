# meshrender: `make test` installs every tool it needs into ./bin and runs
# every test; `make render` prints the default mesh.

GO        ?= go
BIN       := $(CURDIR)/bin
TOOLS_DIR := golden/tools
KUSTOMIZE_VERSION := v5.8.1
STATICCHECK_VERSION := v0.8.2
BENCHCOUNT ?= 6

# Istio minors the runtime tests run: each has a tools module,
# golden/tools/istio-<minor>, pinning istio.io/istio for that minor and
# building into bin/istio-<minor>/. istio.io/istio pseudo-versions and
# some of their dependencies are missing from the checksum database;
# go.sum in each module pins them.
ISTIO_MINORS  := 1.30 1.31
ISTIO_NOSUMDB := istio.io,github.com/envoyproxy,github.com/agentgateway
ISTIO_BINS    := $(foreach m,$(ISTIO_MINORS),$(BIN)/istio-$(m)/pilot-discovery $(BIN)/istio-$(m)/pilot-agent $(BIN)/istio-$(m)/envoy_bootstrap.json)

export GOFLAGS := -buildvcs=false

.PHONY: all render build test lint unit golden e2e fuzz fuzzcheck bench tools clean

all: test

## render: print the rendered default mesh
render:
	@$(GO) run ./plugin/cmd/meshrender render

## build: build the meshrender binary into ./bin
build:
	$(GO) build -o $(BIN)/meshrender ./plugin/cmd/meshrender

## test: lint, unit and golden tests, real API server, real kustomize, fuzz smoke
test: lint unit e2e fuzz

## lint: gofmt, go vet and staticcheck must be clean
lint: $(BIN)/staticcheck
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './bin/*')); \
	if [ -n "$$out" ]; then echo "gofmt wants to change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags e2e ./golden/...
	$(BIN)/staticcheck ./...
	$(BIN)/staticcheck -tags e2e ./golden/...
	cd $(TOOLS_DIR) && $(GO) vet ./etcd ./withhosts
	cd $(TOOLS_DIR)/fakeenvoy && GONOSUMDB=github.com/envoyproxy $(GO) vet .
	cd $(TOOLS_DIR)/fakeztunnel && GONOSUMDB=istio.io,github.com/envoyproxy $(GO) vet .
	cd render/internal/istioapi/gen1.30 && $(GO) vet ./...

$(BIN)/staticcheck:
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

## unit: unit tests, golden files, strict decoding
unit:
	$(GO) test ./...

## golden: rewrite every golden file from the current output (read the diff!)
golden: tools
	$(GO) test -tags e2e -count 1 ./golden -run 'Golden|Kpt|IstioRunsEveryExample' -update
	$(GO) test -tags e2e -count 1 ./golden -run 'Golden|Kpt|IstioRunsEveryExample'

## e2e: apply every example to a real kube-apiserver; run the real kustomize and kpt
e2e: tools
	$(GO) test -tags e2e -count 1 -timeout 30m ./golden/...

# FUZZ_TARGETS are every fuzz target in the repository, as
# package:function:executions; fuzzcheck keeps the list complete. The smoke
# run counts executions (about ten seconds' worth each) rather than time:
# Go 1.26's fuzzing coordinator can fail a run whose -fuzztime deadline
# passes while a worker is busy (go.dev/issue/75804, fixed in Go 1.27), and
# a count has no deadline. FUZZTIME=60s fuzzes each target that long instead.
FUZZ_TARGETS := \
	./render:FuzzEntryPoints:1000x \
	./render/yamlenc:FuzzFromJSON:30000x \
	./render/yamlenc:FuzzReflectivePrintingMatchesJSON:800x \
	./render/internal/typecheck:FuzzCheckMessageAgreesWithProtojson:100000x \
	./golden:FuzzRender:200x \
	./plugin/fn:FuzzExecute:500x \
	./plugin/tree:FuzzManifest:200000x

## fuzz: a short run of every fuzz target (FUZZTIME each, or its count)
fuzz: fuzzcheck
	@set -e; for t in $(FUZZ_TARGETS); do \
		count=$${t##*:}; t=$${t%:*}; pkg=$${t%%:*}; fn=$${t#*:}; \
		budget=$${FUZZTIME:-$$count}; \
		echo "$(GO) test -run '^\$$' -fuzz '^$$fn\$$' -fuzztime $$budget $$pkg"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $$budget $$pkg; \
	done

## fuzzcheck: fail when a func Fuzz in a _test.go file is not in FUZZ_TARGETS
## (or one listed there is gone), so make fuzz runs every fuzz target
fuzzcheck:
	@found=$$(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' . \
		| grep -v '^\./bin/' \
		| sed -E 's|^(.*)/[^/]*:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1:\2|' | sort -u); \
	listed=$$(printf '%s\n' $(FUZZ_TARGETS) | sed -E 's|:[0-9]+x$$||' | sort -u); \
	missing=$$(printf '%s\n' "$$found" | grep -vxF -e "$$listed" || true); \
	gone=$$(printf '%s\n' "$$listed" | grep -vxF -e "$$found" || true); \
	if [ -n "$$missing" ]; then echo "make fuzz does not run these fuzz targets; add them to FUZZ_TARGETS:"; echo "$$missing"; fi; \
	if [ -n "$$gone" ]; then echo "FUZZ_TARGETS lists fuzz targets that do not exist:"; echo "$$gone"; fi; \
	[ -z "$$missing$$gone" ]

## bench: rendering benchmarks, library and whole process
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count $(BENCHCOUNT) ./render ./render/api/v1alpha1 ./plugin/fn ./plugin/gitops ./plugin/cmd/meshrender

## tools: build kube-apiserver, kube-scheduler, kube-controller-manager, etcd, kwok, kustomize,
## kpt, istiod and pilot-agent of every Istio minor (ISTIO_MINORS), and Flux's source-controller
## and kustomize-controller and Argo CD from pinned modules (each only when missing) and the tests' own helpers
tools: $(BIN)/kube-apiserver $(BIN)/kube-scheduler $(BIN)/kube-controller-manager $(BIN)/etcd \
	$(BIN)/kwok $(BIN)/kwok-stages.yaml $(BIN)/kustomize $(BIN)/kpt \
	$(ISTIO_BINS) $(BIN)/flux-source-controller $(BIN)/flux-kustomize-controller \
	$(BIN)/argocd $(BIN)/fake-envoy $(BIN)/fake-ztunnel $(BIN)/withhosts

# The tools are built without symbol tables and DWARF, which only a
# debugger reads: linking the largest of them is a third faster. Programs
# that share most of their packages are built by one go build, which
# compiles each package once and links them side by side.
TOOL_BUILD := $(GO) build -ldflags='-s -w'

KUBE_CMDS := kube-apiserver kube-scheduler kube-controller-manager

$(addprefix $(BIN)/,$(KUBE_CMDS)) &:
	mkdir -p $(BIN)
	cd $(TOOLS_DIR) && $(TOOL_BUILD) -o $(BIN)/ $(addprefix k8s.io/kubernetes/cmd/,$(KUBE_CMDS))

# kwok plays the kubelets of the tests' simulated nodes; it has a tools
# module of its own, as its dependencies differ from Kubernetes'.
$(BIN)/kwok:
	cd $(TOOLS_DIR)/kwok && $(TOOL_BUILD) -o $(BIN)/kwok sigs.k8s.io/kwok/cmd/kwok

# kwok's default stages, as kwokctl gives them to kwok: nodes become Ready
# and keep their leases, pods become Running and Ready, deleted pods go.
KWOK_STAGES := node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
	pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml

$(BIN)/kwok-stages.yaml:
	mkdir -p $(BIN)
	cd $(TOOLS_DIR)/kwok && dir="$$($(GO) list -m -f '{{.Dir}}' sigs.k8s.io/kwok)/kustomize/stage" && \
	for f in $(KWOK_STAGES); do echo '---'; cat "$$dir/$$f"; done > $@.tmp && chmod 0644 $@.tmp && mv $@.tmp $@

$(BIN)/etcd:
	cd $(TOOLS_DIR) && $(TOOL_BUILD) -o $(BIN)/etcd ./etcd

$(BIN)/kustomize:
	GOBIN=$(BIN) $(GO) install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

# The checksum database does not list kpt's module path; go.sum pins it.
$(BIN)/kpt:
	cd $(TOOLS_DIR)/kpt && GONOSUMDB=github.com/GoogleContainerTools $(TOOL_BUILD) -o $(BIN)/kpt github.com/GoogleContainerTools/kpt

# Flux's source-controller and kustomize-controller, the releases whose
# CRDs golden/tools/crds pins, reconcile the GitOps tree in the Flux test.
# The checksum database does not list fluxcd/kustomize-controller; go.sum
# in golden/tools/flux pins it.
FLUX_NOSUMDB := github.com/fluxcd/kustomize-controller

$(BIN)/flux-source-controller $(BIN)/flux-kustomize-controller &:
	mkdir -p $(BIN)/flux.tmp
	cd $(TOOLS_DIR)/flux && GONOSUMDB=$(FLUX_NOSUMDB) $(TOOL_BUILD) -o $(BIN)/flux.tmp/ github.com/fluxcd/source-controller github.com/fluxcd/kustomize-controller
	mv $(BIN)/flux.tmp/source-controller $(BIN)/flux-source-controller
	mv $(BIN)/flux.tmp/kustomize-controller $(BIN)/flux-kustomize-controller
	rmdir $(BIN)/flux.tmp

# Argo CD's application-controller and repo-server, and the miniredis
# they share, as one binary (golden/tools/argocd/main.go), for the Argo
# CD test. v3.5 needs a gitops-engine pseudo-version the module proxy
# does not serve; v3.6 builds, but needs Go 1.27: golden/tools/argocd's
# go.mod names the toolchain (go1.27.3, which the go command fetches from
# the module proxy once), and this recipe alone lets the go command
# switch to it; everything else stays on the project's Go. The checksum
# database does not list argoproj's modules; go.sum pins them. -s -w
# cuts the link's time.
$(BIN)/argocd: $(TOOLS_DIR)/argocd/main.go
	cd $(TOOLS_DIR)/argocd && GOTOOLCHAIN=auto GONOSUMDB=github.com/argoproj $(GO) build -ldflags='-s -w' -o $@ .

# Each Istio minor's istiod (pilot-discovery), proxy agent (pilot-agent)
# and the proxyv2 image's bootstrap template, which pilot-agent fills in:
# the runtime tests run each rendered control plane and proxy with those
# of its own release's minor.

# A pattern rule with two targets makes both in one run.
$(BIN)/istio-%/pilot-discovery $(BIN)/istio-%/pilot-agent:
	mkdir -p $(BIN)/istio-$*
	cd $(TOOLS_DIR)/istio-$* && GONOSUMDB=$(ISTIO_NOSUMDB) $(TOOL_BUILD) -o $(BIN)/istio-$*/ istio.io/istio/pilot/cmd/pilot-discovery istio.io/istio/pilot/cmd/pilot-agent

$(BIN)/istio-%/envoy_bootstrap.json:
	mkdir -p $(@D)
	cd $(TOOLS_DIR)/istio-$* && cp "$$(GONOSUMDB=$(ISTIO_NOSUMDB) $(GO) list -m -f '{{.Dir}}' istio.io/istio)/tools/packaging/common/envoy_bootstrap.json" $@.tmp && chmod 0644 $@.tmp && mv $@.tmp $@

# The tests' own helpers are rebuilt when their source changes. fake-envoy
# speaks only xDS, the same to every minor's agent; its module pins
# go-control-plane for itself.
$(BIN)/fake-envoy: $(TOOLS_DIR)/fakeenvoy/main.go
	cd $(TOOLS_DIR)/fakeenvoy && GONOSUMDB=github.com/envoyproxy $(GO) build -o $(BIN)/fake-envoy .

# fake-ztunnel stands in for ztunnel, a Rust program: it speaks
# ztunnel's delta xDS and CA protocols to istiod, with istio.io/api's CA
# service; its module pins them for itself.
$(BIN)/fake-ztunnel: $(TOOLS_DIR)/fakeztunnel/main.go
	cd $(TOOLS_DIR)/fakeztunnel && GONOSUMDB=istio.io,github.com/envoyproxy $(GO) build -o $(BIN)/fake-ztunnel .

$(BIN)/withhosts: $(TOOLS_DIR)/withhosts/main.go
	cd $(TOOLS_DIR) && $(GO) build -o $(BIN)/withhosts ./withhosts

## clean: remove built binaries (the tools are rebuilt on the next make e2e)
clean:
	rm -rf $(BIN)
