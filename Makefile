# OncoMesh: `make demo` runs the main job on loopback, `make test` runs the whole test suite.
# Both install what a fresh Debian machine with the Swift toolchain is missing first.

SWIFT ?= swift
DEMO_DIR ?= demo-output
APT_PACKAGES = liblz4-dev lz4 openssl pkg-config libsqlite3-dev iproute2
# The DICOM server (with its DICOMweb plugin) the QIDO-RS import is tested against.
TEST_APT_PACKAGES = orthanc orthanc-dicomweb
# promtool (in Debian's prometheus package) checks what the admin listener's /metrics serves.
PROMTOOL_APT_PACKAGES = prometheus
# Headless Chromium and its driver open the researcher's console page in the console test.
CONSOLE_APT_PACKAGES = chromium chromium-driver

.PHONY: demo console-demo test test-console test-deps orthanc-deps promtool-deps console-deps unit test-hosts fuzz build deps proto benchmark benchmark-aggregation benchmark-dicomweb benchmark-query benchmark-load benchmark-privacy simulate swarm clean

deps:
	@missing=""; \
	pkg-config --exists liblz4 || missing="$$missing liblz4-dev pkg-config"; \
	pkg-config --exists sqlite3 || missing="$$missing libsqlite3-dev"; \
	command -v lz4 >/dev/null || missing="$$missing lz4"; \
	command -v openssl >/dev/null || missing="$$missing openssl"; \
	[ -x /usr/sbin/ip ] || missing="$$missing iproute2"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES); \
	fi

build: deps
	$(SWIFT) build

# pydicom writes the DICOM files DICOMTests reads (Tests/DICOMTests/make_dicom_fixtures.py,
# make_study_fixtures.py); Orthanc serves them over DICOMweb to DICOMwebImportTests.
test-deps: deps orthanc-deps promtool-deps console-deps
	python3 -c "import pydicom" 2>/dev/null || pip install pydicom

# The console test drives the page with selenium, checks the API document with
# openapi-spec-validator and fuzzes the running API with schemathesis.
console-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		echo "installing: $(CONSOLE_APT_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(CONSOLE_APT_PACKAGES); \
	fi
	python3 -c "import selenium" 2>/dev/null || pip install selenium
	python3 -c "import schemathesis" 2>/dev/null || pip install schemathesis
	python3 -c "import openapi_spec_validator" 2>/dev/null || pip install openapi-spec-validator

orthanc-deps:
	@if [ ! -x /usr/sbin/Orthanc ] || [ ! -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]; then \
		echo "installing: $(TEST_APT_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(TEST_APT_PACKAGES); \
	fi

promtool-deps:
	@if ! command -v promtool >/dev/null; then \
		echo "installing: $(PROMTOOL_APT_PACKAGES)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(PROMTOOL_APT_PACKAGES); \
	fi

# Tests run one at a time: the end-to-end ones start real node processes and measure time,
# which tests running beside them on the same two cores would distort.
test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --no-parallel
	$(MAKE) -s test-console

# `meshnode console` end to end: eight nodes, the page in headless Chromium (screenshot in
# .build/console-test/), the OpenAPI document validated and schemathesis against the API.
test-console: console-deps
	$(SWIFT) build --product meshnode
	python3 Tests/ConsoleTests/console_browser_test.py --meshnode "$$($(SWIFT) build --show-bin-path)/meshnode" --out .build/console-test

# The fast in-process tests only, for the edit-compile-test loop: no node process, no socket,
# no simulated scenario. Skipped: suites that start meshnode/meshsim/openssl/lz4 processes
# or listen on sockets, or make fixtures with python3 (they run in `make test`).
UNIT_SKIP = (AuditLogCommandTests|AuditVerifyCommandTests|BudgetRefusalTests|CACommandTests|FederatedQueryTests|FederatedQueryOracleTests|HostBedTests|MeshFormationTests|PrivacyLedgerCommandTests|QueryWireInputTests|RevokeCommandTests|SiteImportTests|SyntheticSiteTests|DisclosureAttackTests|MeshTransportTests|MutualTLSTests|FederationCATests|LZ4FrameTests|ScenarioTests|SwarmTests|DICOMFileReaderTests|DICOMwebImportTests|DICOMwebFailureTests|ImagingImportTests|SiteSyncTests|AdminEndpointTests)
unit: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build --skip '$(UNIT_SKIP)'

# libFuzzer over what a node decodes from others (Fuzz/: frames and envelopes, every wire
# message, SQL), FUZZ_SECONDS per target. New inputs go to /tmp/oncomesh-fuzz/corpus-*, the
# committed seeds in Fuzz/Corpus/ are read; a crash leaves its input in /tmp/oncomesh-fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_BUILD = $(SWIFT) build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
fuzz: deps
	$(FUZZ_BUILD)
	@bin="$$($(FUZZ_BUILD) --show-bin-path)"; \
	for target in FuzzFrames FuzzWire FuzzSQL FuzzConfig; do \
		mkdir -p /tmp/oncomesh-fuzz/corpus-$$target Fuzz/Corpus/$$target; \
		echo "== $$target for $(FUZZ_SECONDS) s"; \
		"$$bin/$$target" /tmp/oncomesh-fuzz/corpus-$$target Fuzz/Corpus/$$target -max_total_time=$(FUZZ_SECONDS) \
			-max_len=65536 -rss_limit_mb=4096 -artifact_prefix=/tmp/oncomesh-fuzz/$$target- -print_final_stats=1 \
			> /tmp/oncomesh-fuzz/$$target.log 2>&1; status=$$?; \
		grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss_mb|==[0-9]+==ERROR|SUMMARY|Test unit written)" /tmp/oncomesh-fuzz/$$target.log; \
		[ $$status = 0 ] || { echo "$$target failed; see /tmp/oncomesh-fuzz/$$target.log"; exit 1; }; \
	done

# The federation on eight test hosts (network namespaces, needs root and iproute2) under
# every fault scenario; `make test` runs the partition scenario only.
test-hosts: deps
	$(SWIFT) build --build-tests
	ONCOMESH_HOST_TESTS=all $(SWIFT) test --skip-build --no-parallel --filter HostBedTests

# The demo's Orthanc site needs Orthanc; where it cannot be installed the demo says so and
# that hospital imports a CSV instead.
demo: deps
	@python3 scripts/orthanc_site.py available || $(MAKE) -s orthanc-deps || echo "Orthanc could not be installed; the demo runs without its Orthanc site"
	$(SWIFT) build --product meshnode
	rm -rf $(DEMO_DIR)
	$$($(SWIFT) build --show-bin-path)/meshnode demo --dir $(DEMO_DIR)/transport
	scripts/mesh-demo.sh "$$($(SWIFT) build --show-bin-path)/meshnode" $(DEMO_DIR)/mesh

# The demo mesh and the researcher's console on http://127.0.0.1:8080/, kept running until
# Ctrl-C (the demo's queries and crash are skipped).
console-demo: deps
	$(SWIFT) build --product meshnode
	rm -rf $(DEMO_DIR)/mesh
	KEEP_CONSOLE=1 scripts/mesh-demo.sh "$$($(SWIFT) build --show-bin-path)/meshnode" $(DEMO_DIR)/mesh

# Regenerates the Swift of every Sources/<Module>/*.proto next to it (the generated files are
# committed). The swift-protobuf plugin is built from the resolved dependency the first time.
proto:
	@command -v protoc >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq protobuf-compiler; }
	$(SWIFT) build --product protoc-gen-swift
	for proto in Sources/*/*.proto; do \
		dir=$$(dirname $$proto); \
		protoc --plugin=protoc-gen-swift=$$($(SWIFT) build --show-bin-path)/protoc-gen-swift \
			--swift_out=$$dir --swift_opt=Visibility=Public --proto_path=$$dir $$proto || exit 1; \
	done

benchmark: deps
	cd Benchmarks && $(SWIFT) run -c release TransportBenchmark

# The local executor against DuckDB and SQLite on one synthetic site of about 1M studies.
benchmark-aggregation: deps
	python3 -c "import duckdb" 2>/dev/null || pip install duckdb
	cd Benchmarks && $(SWIFT) build -c release --product meshnode
	python3 Benchmarks/aggregation_benchmark.py --meshnode "$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/meshnode"

# Imaging import: about 10,000 synthetic studies from a local Orthanc over DICOMweb, and the
# same files from a folder; wall time, studies/s, our CPU and Orthanc's.
benchmark-dicomweb: deps orthanc-deps
	cd Benchmarks && $(SWIFT) build -c release --product meshnode
	python3 Benchmarks/dicomweb_import_benchmark.py --meshnode "$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/meshnode"

# Federated query latency (fanout 30, 8, 4) and throughput (10 researchers) over 30 real
# nodes on loopback, release build.
benchmark-query: deps
	cd Benchmarks && $(SWIFT) build -c release --product meshnode && $(SWIFT) build -c release --product QueryBenchmark
	scripts/query-benchmark.sh "$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/meshnode" \
		"$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/QueryBenchmark" /tmp/oncomesh-query-benchmark 30 \
		--modes masked,plaintext --queries 100

# Sustained load: 1, 10 and 50 concurrent researchers against 30 nodes, 2 minutes each, with
# refusals by reason, each node's memory and descriptors, and the audit check.
benchmark-load: deps
	cd Benchmarks && $(SWIFT) build -c release --product meshnode && $(SWIFT) build -c release --product QueryBenchmark
	scripts/query-benchmark.sh "$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/meshnode" \
		"$$(cd Benchmarks && $(SWIFT) build -c release --show-bin-path)/QueryBenchmark" /tmp/oncomesh-load-benchmark 30 \
		--load-researchers 1,10,50 --load-seconds 120

# What the noise costs: relative errors of released counts and means, and the noise on a
# count at 8 and 30 sites, against provider-side noise and per-site Laplace (docs/PRIVACY.md).
# Accuracy, not speed, is measured, so the debug build serves.
benchmark-privacy: deps
	$(SWIFT) build --product meshsim
	"$$($(SWIFT) build --show-bin-path)/meshsim" utility --nodes 8 30 --subjects 2000 --sigma 4

simulate: deps
	$(SWIFT) build -c release --product meshsim
	"$$($(SWIFT) build -c release --show-bin-path)/meshsim" standard --out simulations/results

# SWARM_RUNS seeds from SWARM_SEED on, each drawing its own mix of faults (loss, duplication,
# slow nodes, two-sided, one-way and many-sided cuts, crashes with or without restart) for a
# mesh of SWARM_NODES; safety is checked throughout and convergence once the faults stop
# (simulations/README.md, "Swarm mode"). A failing seed prints the command that replays it.
SWARM_RUNS ?= 200
SWARM_SEED ?= 1
SWARM_NODES ?= 32
swarm: deps
	$(SWIFT) build -c release --product meshsim
	"$$($(SWIFT) build -c release --show-bin-path)/meshsim" swarm --seed $(SWARM_SEED) --runs $(SWARM_RUNS) --nodes $(SWARM_NODES)

clean:
	rm -rf .build $(DEMO_DIR)
