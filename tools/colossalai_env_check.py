"""Check, by a real run, which ColossalAI Booster plugins can train on this (CPU-only) machine.

Not a test (pytest does not collect it); run it by hand in a throwaway venv that has ColossalAI.
See docs/colossalai_cpu_findings.md for the versions and the results on the development machine.

    python3 -m venv colo-venv
    colo-venv/bin/pip install torch==2.5.1          # PyPI's only 2.5.1 build is the CUDA one
    colo-venv/bin/pip install colossalai==0.5.0     # sdist; BUILD_EXT defaults to 0: no CUDA build
    colo-venv/bin/python tools/colossalai_env_check.py            # the whole matrix
    colo-venv/bin/python tools/colossalai_env_check.py --plugins ddp zero1 --nprocs 2 --optims sgd

Driver mode (the default) starts one ``torch.distributed.run --standalone`` job per
(plugin, number of processes, optimizer), each with a timeout, and prints one line per job: OK,
or the stage that failed (launch, plugin, optimizer, boost, step, save, load, step-after-load)
with the exception's first line. Worker mode (``--worker``) is what each job runs on every rank:
``colossalai.launch_from_torch()``, ``Booster(plugin=...)``, boost a tiny MLP, one
forward/backward/step, ``save_model``/``save_optimizer``, one more step,
``load_model``/``load_optimizer`` (checking that the model's output on a fixed input is the saved
one again), and one more step. Exit status: 0 when every job passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import traceback

PLUGINS = ("ddp", "fsdp", "zero1", "zero2", "gemini", "gemini_sync", "hybrid", "hybrid_zero1",
           "hybrid_tp")
OPTIMS = ("sgd", "hybridadam")
MARK = "COLOCHECK"


# --------------------------------------------------------------------------- worker (one rank)


def _make_plugin(name: str, world_size: int):
    from colossalai.booster.plugin import (
        GeminiPlugin,
        HybridParallelPlugin,
        LowLevelZeroPlugin,
        TorchDDPPlugin,
        TorchFSDPPlugin,
    )

    if name == "ddp":
        return TorchDDPPlugin()
    if name == "fsdp":
        return TorchFSDPPlugin()
    if name == "zero1":
        return LowLevelZeroPlugin(stage=1, precision="fp32")
    if name == "zero2":
        return LowLevelZeroPlugin(stage=2, precision="fp32")
    if name == "gemini":
        # Gemini supports only fp16/bf16; bf16 needs no loss scaler.
        return GeminiPlugin(precision="bf16", placement_policy="static")
    if name == "gemini_sync":  # without the async reduce that asks the accelerator for a Stream
        return GeminiPlugin(precision="bf16", placement_policy="static", enable_async_reduce=False)
    # ShardFormer has no auto policy for a plain nn.Sequential ("Auto policy for Sequential ... is
    # not implemented"), so HybridParallelPlugin gets a custom one: identity for pure data parallel,
    # Linear1D_Col/Linear1D_Row for the two Linear layers under tensor parallel.
    if name == "hybrid":  # pure data parallel through HybridParallelPlugin
        return HybridParallelPlugin(tp_size=1, pp_size=1, precision="fp32",
                                    custom_policy=_mlp_policy(tensor_parallel=False))
    if name == "hybrid_zero1":  # data parallel with ZeRO-1 through HybridParallelPlugin
        return HybridParallelPlugin(tp_size=1, pp_size=1, precision="bf16", zero_stage=1,
                                    custom_policy=_mlp_policy(tensor_parallel=False))
    if name == "hybrid_tp":  # tensor parallel across every rank
        return HybridParallelPlugin(tp_size=world_size, pp_size=1, precision="fp32",
                                    custom_policy=_mlp_policy(tensor_parallel=True))
    raise ValueError(name)


def _mlp_policy(tensor_parallel: bool):
    import torch.nn as nn
    from colossalai.shardformer.layer import Linear1D_Col, Linear1D_Row
    from colossalai.shardformer.policies.base_policy import (
        ModulePolicyDescription,
        Policy,
        SubModuleReplacementDescription,
    )

    class MLPPolicy(Policy):
        def config_sanity_check(self):
            pass

        def preprocess(self):
            return self.model

        def module_policy(self):
            if not tensor_parallel:
                return {}
            return {nn.Sequential: ModulePolicyDescription(sub_module_replacement=[
                SubModuleReplacementDescription(suffix="0", target_module=Linear1D_Col),
                SubModuleReplacementDescription(suffix="2", target_module=Linear1D_Row),
            ])}

        def postprocess(self):
            return self.model

    return MLPPolicy()


def _make_optim(name: str, params):
    import torch

    if name == "sgd":
        return torch.optim.SGD(params, lr=0.1, momentum=0.9)
    from colossalai.nn.optimizer import HybridAdam

    return HybridAdam(params, lr=1e-2)


def _worker(args) -> int:
    stage = "import"
    rank = int(os.environ.get("RANK", "0"))

    def report(status: str, detail: str = "") -> None:
        print(f"{MARK} rank={rank} plugin={args.plugin} optim={args.optim} stage={stage} "
              f"status={status} {detail}".rstrip(), flush=True)

    try:
        import torch
        import torch.distributed as dist
        import torch.nn as nn

        import colossalai
        from colossalai.accelerator import get_accelerator
        from colossalai.booster import Booster

        stage = "launch"
        colossalai.launch_from_torch(seed=0)
        world = dist.get_world_size()
        device = get_accelerator().get_current_device()
        report("info", f"accelerator={get_accelerator().name} backend={dist.get_backend()} "
                       f"device={device} world={world}")

        stage = "plugin"
        plugin = _make_plugin(args.plugin, world)
        booster = Booster(plugin=plugin)

        stage = "optimizer"
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        optim = _make_optim(args.optim, model.parameters())

        stage = "boost"
        criterion = nn.MSELoss()
        model, optim, criterion, _, _ = booster.boost(model, optim, criterion)

        def step() -> float:
            x = torch.randn(4, 8, device=device)
            y = torch.randn(4, 4, device=device)
            out = model(x)
            loss = criterion(out.float(), y)
            booster.backward(loss, optim)
            optim.step()
            optim.zero_grad()
            return float(loss.detach())

        stage = "step"
        loss = step()
        report("info", f"loss={loss:.4f}")

        probe = torch.ones(2, 8, device=device)

        def predict() -> torch.Tensor:
            with torch.no_grad():
                return model(probe).float().cpu()

        stage = "save"
        ckpt = args.ckpt_dir
        saved = predict()
        booster.save_model(model, os.path.join(ckpt, "model.pt"))
        booster.save_optimizer(optim, os.path.join(ckpt, "optim.pt"))
        dist.barrier()
        step()  # move the weights away from the checkpoint

        stage = "load"
        booster.load_model(model, os.path.join(ckpt, "model.pt"))
        booster.load_optimizer(optim, os.path.join(ckpt, "optim.pt"))
        if not torch.allclose(predict(), saved):
            raise AssertionError("load_model did not restore the saved weights")

        stage = "step-after-load"
        loss = step()
        dist.barrier()
        stage = "done"
        report("ok", f"loss={loss:.4f}")
        dist.destroy_process_group()
        return 0
    except BaseException as exc:  # report every failure, then let torchrun see a non-zero exit
        traceback.print_exc()
        last = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        report("fail", f"error={last}")
        return 1


# --------------------------------------------------------------------------- driver


def _run_job(plugin: str, nproc: int, optim: str, timeout: int, log_dir: str) -> tuple[str, str, float]:
    with tempfile.TemporaryDirectory(prefix="colocheck-") as ckpt:
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone",
               f"--nproc_per_node={nproc}", os.path.abspath(__file__), "--worker",
               "--plugin", plugin, "--optim", optim, "--ckpt-dir", ckpt]
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
        start = time.monotonic()
        try:
            proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  text=True, timeout=timeout)
            out, rc = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
            rc = None
        elapsed = time.monotonic() - start
    with open(os.path.join(log_dir, f"{plugin}-np{nproc}-{optim}.log"), "w") as fh:
        fh.write(out)
    marks = [line for line in out.splitlines() if line.startswith(MARK)]
    fails = [line for line in marks if "status=fail" in line]
    oks = [line for line in marks if "status=ok" in line]
    if rc is None:
        return "TIMEOUT", (fails[0] if fails else f"no result within {timeout}s"), elapsed
    if rc == 0 and len(oks) == nproc:
        return "OK", oks[0].split("stage=done status=ok ")[-1], elapsed
    if fails:
        line = fails[0]
        return "FAIL", line[line.index("stage="):].replace("status=fail ", ""), elapsed
    tail = [line for line in out.splitlines() if line.strip()][-1:] or ["(no output)"]
    return "FAIL", f"rc={rc} {tail[0][:300]}", elapsed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--worker", action="store_true", help="run one rank (started by the driver)")
    p.add_argument("--plugin", default="ddp", choices=PLUGINS)
    p.add_argument("--optim", default="sgd", choices=OPTIMS)
    p.add_argument("--ckpt-dir")
    p.add_argument("--plugins", nargs="+", default=list(PLUGINS), choices=PLUGINS)
    p.add_argument("--nprocs", nargs="+", type=int, default=[1, 2])
    p.add_argument("--optims", nargs="+", default=list(OPTIMS), choices=OPTIMS)
    p.add_argument("--timeout", type=int, default=300, help="seconds per job")
    p.add_argument("--log-dir", default=None, help="full output of each job (default: a temp dir)")
    args = p.parse_args(argv)
    if args.worker:
        return _worker(args)

    import colossalai
    import torch

    log_dir = args.log_dir or tempfile.mkdtemp(prefix="colocheck-logs-")
    os.makedirs(log_dir, exist_ok=True)
    print(f"python {sys.version.split()[0]}  torch {torch.__version__}  "
          f"colossalai {colossalai.__version__}  cuda available: {torch.cuda.is_available()}")
    print(f"logs: {log_dir}")
    ok = True
    for plugin in args.plugins:
        for nproc in args.nprocs:
            for optim in args.optims:
                status, detail, secs = _run_job(plugin, nproc, optim, args.timeout, log_dir)
                ok &= status == "OK"
                print(f"{plugin:10s} np={nproc} {optim:10s} {status:7s} {secs:6.1f}s  {detail}",
                      flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
