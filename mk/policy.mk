# The policy engine's differential tester and benchmark baseline run Cedar itself
# (@cedar-policy/cedar-wasm, pinned in tests/cedar/package-lock.json) under Node. Installing it needs
# the network once; when that fails the build goes on and the differential test fails with the reason.
CEDAR_WASM := tests/cedar/node_modules/@cedar-policy/cedar-wasm/package.json

$(CEDAR_WASM): tests/cedar/package.json tests/cedar/package-lock.json
	$(call say,NPM,tests/cedar)if command -v npm >/dev/null 2>&1; then \
	    mkdir -p $(BUILD) && (cd tests/cedar && npm ci --no-audit --no-fund --loglevel=error \
	        >$(CURDIR)/$(BUILD)/npm-ci.log 2>&1) && touch $@ || \
	    { echo "warning: npm ci in tests/cedar failed; the Cedar differential test will fail. npm said:"; \
	      grep -m 3 -i 'err' $(BUILD)/npm-ci.log | sed 's/^/  /'; }; \
	else echo "warning: npm not found; the Cedar differential test will fail"; fi

CHECK_DEPS += $(CEDAR_WASM)
