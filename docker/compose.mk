# Container images and the docker-compose test (included from the Makefile; not part of `make test`).
#
#   make images         # base rootfs (mmdebstrap), seccomp profile, Compose v2, rtlgen:local
#   make compose-test   # images, then a 3-worker stack, an eval through it, isolation and fault checks
#
# Both start rtlgen's own dockerd (docker/dockerd.sh) when none is running and stop it afterwards.
# Needs root (dockerd, mmdebstrap). See docs/docker.md.

DOCKER_APT_PKGS := docker.io mmdebstrap
COMPOSE_TEST_ARGS ?=

.PHONY: docker-tools images compose-test

docker-tools:
	@missing=; for t in dockerd mmdebstrap containerd runc; do \
	  command -v $$t >/dev/null 2>&1 || [ -x /usr/sbin/$$t ] || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing docker.io and mmdebstrap (missing:$$missing)"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(DOCKER_APT_PKGS) >/dev/null; \
	fi

images: setup docker-tools
	docker/with_dockerd.sh docker/build_all.sh

compose-test: setup docker-tools
	docker/with_dockerd.sh $(PY) scripts/compose_test.py --build --data-dir $(SHARED)/verilog-eval $(COMPOSE_TEST_ARGS)
