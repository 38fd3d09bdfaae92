# clonebot for real use on a CUDA GPU host (Mistral-7B QLoRA training and the bot).
# Cannot be built on the CPU-only dev machines; see README "Running on a GPU host".
#
#   docker build -t clonebot .
#   docker run --gpus all -it -v $PWD/data:/data -v ~/.cache/huggingface:/root/.cache/huggingface \
#       --env-file .env clonebot prepare /data/result.json
#   docker run --gpus all -it -v $PWD/data:/data --env-file .env clonebot train
#   docker run --gpus all -it -v $PWD/data:/data --env-file .env clonebot login
#   docker run --gpus all -d  -v $PWD/data:/data --env-file .env --restart unless-stopped clonebot run
FROM nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/*

RUN python3 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1

WORKDIR /app
# torch first, alone: on Linux x86_64 PyPI's default torch wheel is the CUDA build.
RUN pip install --no-cache-dir torch==2.13.0
COPY pyproject.toml README.md constraints.txt ./
COPY clonebot ./clonebot
COPY training ./training
COPY exports/README.md exports/README.md
COPY exports/sample ./exports/sample
COPY config.example.toml ./
RUN pip install --no-cache-dir -c constraints.txt . \
 && pip install --no-cache-dir --no-deps -c constraints.txt mistral-common

# Everything the owner must keep lives in /data: dataset, adapter versions, session, state.
ENV CLONEBOT_PATHS__DATA_DIR=/data/state \
    CLONEBOT_PATHS__RUNS_DIR=/data/runs \
    CLONEBOT_PATHS__DATASET_DIR=/data/dataset \
    CLONEBOT_PATHS__CACHE_DIR=/data/cache
VOLUME ["/data"]
ENTRYPOINT ["clonebot"]
CMD ["--help"]
