# The controller/web and ASR worker image (one image, the command picks the role). Built by
# `hotline deploy images` on local/debian:bookworm (mmdebstrap | docker import): no registry needed.
FROM local/debian:bookworm
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates sox libsox-fmt-mp3 espeak-ng \
 && rm -rf /var/lib/apt/lists/*
# the host's extra CA certificates (the build context carries them): HTTPS to the package index needs them
COPY ca-certificates/ /usr/local/share/ca-certificates/
RUN update-ca-certificates
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180
WORKDIR /app
# dependencies first (a layer that survives source changes): the editable install maps the packages to /app
COPY pyproject.toml README.md ./
RUN mkdir -p hotline telephony ivr asr \
 && touch hotline/__init__.py telephony/__init__.py ivr/__init__.py asr/__init__.py \
 && python3 -m venv /opt/hotline \
 && /opt/hotline/bin/pip install --no-cache-dir -e .
COPY hotline ./hotline
COPY telephony ./telephony
COPY ivr ./ivr
COPY asr ./asr
COPY config ./config
ENV PATH=/opt/hotline/bin:$PATH HOTLINE_STATE_DIR=/var/lib/hotline
CMD ["hotline", "serve"]
