# sourceip-guard
#   make run    the webhook on https://localhost:8443 (self-signed certs in certs/, default policy)
#   make test   unit tests and the HTTPS admission tests
#   make e2e    the scenarios against a real kube-apiserver (see e2e/README.md): Kubernetes 1.37 by default,
#               E2E_KUBERNETES=1.34 make e2e for the other supported release (also for make demo)

SHELL := bash
MVN ?= mvn -B -ntp
# The JVM that runs the webhook: the newest JDK 25+ here (for the AOT cache), else java (scripts/find-java.sh).
JAVA ?= $(shell scripts/find-java.sh)
# The webhook's JVM options, one per line with the reason for each (also used by e2e and bench).
JAVA_OPTS ?= @src/main/jvm/server.options
APP := target/quarkus-app/quarkus-run.jar
# The AOT cache of the packaged webhook (Java 25+): classes loaded and linked, method profiles. No file with
# an older JDK; the webhook then starts without it.
AOT := target/quarkus-app/app.aot
# The flag that uses it, when it exists and JAVA is 25 or later (scripts/find-java.sh decides, as for bench and e2e).
AOT_FLAG = $$(JAVA="$(JAVA)" scripts/find-java.sh --aot $(dir $(AOT)) | sed -n 2p)
CERTS ?= certs
SERVICE ?= sourceip-guard
NAMESPACE ?= sourceip-guard
SOURCES := pom.xml $(shell find src/main -type f 2>/dev/null)

.PHONY: tools build aot run try test format certs clean report policies e2e e2e-failover demo demo-stop fuzz bench bench-apiserver bench-peers soak fault jmh fuzz-long image image-smoke native native-sources native-check image-native release outdated

tools:
	@scripts/require-tools.sh build

build: tools $(APP)

$(APP): $(SOURCES)
	$(MVN) package -DskipTests

# A training run of the server writes the AOT cache (scripts/aot-cache.sh, about 15 s); a rebuild makes a new one.
aot: build $(AOT)

$(AOT): $(APP)
	scripts/aot-cache.sh "$(JAVA)"

# Keeps an existing CA (bring your own: certs/README.md); FORCE=1 reissues the serving certificate.
certs: build
	$(JAVA) -jar $(APP) certs --dir $(CERTS) --service $(SERVICE) --namespace $(NAMESPACE) $(if $(FORCE),--force)

# Logs are plain text here, for a person; JSON stays the default in the image and the Deployment.
run: aot
	@if [ ! -f $(CERTS)/tls.crt ] || [ ! -f $(CERTS)/tls.key ]; then $(MAKE) --no-print-directory certs; fi
	SOURCEIP_GUARD_TLS_CERT_FILE=$(CERTS)/tls.crt SOURCEIP_GUARD_TLS_KEY_FILE=$(CERTS)/tls.key QUARKUS_LOG_CONSOLE_JSON_ENABLED=false \
		$(JAVA) $(JAVA_OPTS) $(AOT_FLAG) -jar $(APP)

# Example AdmissionReviews to the webhook of make run (in another terminal), answers printed readably.
try:
	@CERTS=$(CERTS) scripts/try.sh

test: tools
	$(MVN) verify

# Rewrites src/**/*.java in the project's format (palantir-java-format through Spotless); make test fails on a
# file this would change.
format: tools
	$(MVN) spotless:apply

# What the policies would change: make report ARGS="-f k8s/examples" (or ARGS="--cluster -o json").
report: build
	$(JAVA) -jar $(APP) report $(ARGS)

# The rules CEL can express, as admission policies generated from the default configuration: the committed
# k8s/overlays/admission-policies (a unit test fails when it differs). ARGS="-c KEY=VALUE -o DIR" for your own.
policies: build
	$(JAVA) -jar $(APP) policies $(or $(ARGS),-o k8s/overlays/admission-policies)

# A real kube-apiserver calls the webhook. The first run of a release (E2E_KUBERNETES: 1.37, the default, or 1.34)
# builds kube-apiserver, kubectl and etcd (scripts/kube-build.sh, tens of minutes on 2 cores); then seconds.
e2e: aot
	@scripts/require-tools.sh e2e
	e2e/run.sh

# Two replicas behind haproxy under a fixed rate of writes: both renew the certificate at once, one is killed and
# restarted, both are rolled (e2e/failover.sh; figures in docs/benchmarks.md, "Failover"). About 3 minutes with
# cached binaries.
e2e-failover: aot
	@scripts/require-tools.sh failover
	e2e/failover.sh

demo: aot
	@scripts/require-tools.sh e2e
	e2e/demo.sh

demo-stop:
	e2e/stack.sh down target/e2e/demo

# Fuzzes each target for a minute (Jazzer; the corpus grows in .cifuzz-corpus/). Without this,
# make test replays the seeds in src/test/resources/io/sourceipguard/fuzz/ as regression tests.
FUZZ_TARGETS ?= admissionReview admissionObject masqConfig cidrCoverage
FUZZ_CLASS ?= FuzzTargetsTest
fuzz: tools
	@mkdir -p target/fuzz; for target in $(FUZZ_TARGETS); do \
		echo "== fuzzing $$target (log: target/fuzz/$$target.log)"; \
		if ! JAZZER_FUZZ=1 $(MVN) test -Dtest="$(FUZZ_CLASS)#$$target" -Dsurefire.failIfNoSpecifiedTests=false \
			>target/fuzz/$$target.log 2>&1; then grep -E -A20 "== Java Exception|FAILURE" target/fuzz/$$target.log; exit 1; fi; \
		grep -E "DONE" target/fuzz/$$target.log | tail -1; \
	done

# The container image, built by Jib with no Docker daemon: target/image/sourceip-guard.tar (image/README.md).
# The first run builds the Debian base with debootstrap (root). MVN_ARGS go to mvn; REGISTRY=... GROUP=... pushes.
image: tools
	MVN="$(MVN)" image/build.sh $(MVN_ARGS)

# A release, offline (no registry needed), in target/release/VERSION/: the runnable jar, the image archive (OCI, also a
# docker-archive), the application's CycloneDX SBOM, the image's Debian packages, each overlay rendered with the image
# pinned by digest, the CHANGELOG section as release notes, SHA256SUMS; then scripts/release-check.sh checks them.
# VERSION is required (semantic version). REGISTRY=... [GROUP=...] also pushes the image, its digest kept. Root, as
# make image.
release: tools
	MVN="$(MVN)" scripts/release.sh "$(VERSION)"

# Runs the image's entrypoint (certs, report, the server) as its user on a read-only root and sends the server an
# AdmissionReview over HTTPS (root: chroot and mounts).
image-smoke: image
	image/smoke.sh

# The native executable (target/*-runner): needs GraalVM or Mandrel, or MVN_ARGS=-Dquarkus.native.container-build=true
# with docker or podman (image/NATIVE.md).
native: tools
	$(MVN) package -DskipTests -Dnative -Dquarkus.native.enabled=true $(MVN_ARGS)

# What can be proven of the native build without GraalVM: the native-image inputs, and the native configuration.
native-sources: tools
	MVN="$(MVN)" image/native-sources.sh $(MVN_ARGS)

# The native-image builder itself (its Maven artifacts, on JDK 25) over what make native-sources wrote: class
# initialisation, analysis, compilation and the object file, stopping before the link, which needs GraalVM/Mandrel
# (image/native-check.sh; image/NATIVE.md). Run make native-sources first.
native-check: tools
	MVN="$(MVN)" image/native-check.sh

# The native executable on a base without a JRE: target/image/sourceip-guard-native.tar. Same needs as make native.
image-native: tools
	MVN="$(MVN)" image/build.sh --native $(MVN_ARGS)

# Load, soak and fault scripts (bench/README.md); none of them runs in every CI run but the smoke.
# make bench ends with the writes through the API server (make bench-apiserver).
bench: aot
	bench/load.sh
	$(MAKE) --no-print-directory bench-apiserver

# Service writes through a real kube-apiserver with no policy, the admission policies, the webhook and every peer of
# bench/peers/ (bench/apiserver.sh; about a minute and a half per case with cached binaries). BENCH_SMOKE=1: seconds.
.PHONY: bench-apiserver
bench-apiserver: aot
	@scripts/require-tools.sh e2e
	bench/apiserver.sh

soak: aot
	bench/soak.sh

fault: aot
	bench/fault.sh

jmh: tools
	bench/jmh.sh

# Kyverno and Gatekeeper (bench/peers/) beside the webhook and no policy, through the API server with the same
# load (bench/README.md, "Peers"); builds both peers on first use (scripts/peer-build.sh).
bench-peers: aot
	bench/apiserver.sh none webhook peers

# The long run: ten million executions per target (docs/benchmarks.md has the last one).
fuzz-long:
	$(MAKE) --no-print-directory fuzz FUZZ_CLASS=LongFuzzTargetsTest

# Newer releases of what pom.xml names: version properties, dependencies (the Quarkus BOM as one entry), plugins;
# no pre-releases. Changes nothing (scripts/outdated.sh; the whole Maven log is target/outdated.log).
outdated: tools
	MVN="$(MVN)" scripts/outdated.sh

clean:
	$(MVN) -q clean || rm -rf target
	find $(CERTS) -mindepth 1 ! -name README.md -delete
