"""Batch, mini-batch and per-sample gradient descent: the deck's last question, run."""
import json

import pytest
import torch
from hypothesis import given
from strategies import networks_and_data
from logs import read_history, same_history
from tolerances import DTYPE, EXACT_ISH, TRAJECTORY

from torch_bp import BackpropNet, half_sse, manual_gradients
from torch_bp.core.data import XOR_INPUTS, XOR_TARGETS, BatchStream, load_data


def f64(values):
    return torch.tensor(values, dtype=DTYPE)


def train(train_script, logdir, *args):
    assert train_script.main(["--logdir", str(logdir), "--no-graph", *map(str, args)]) == 0
    return read_history(logdir)


@pytest.mark.parametrize("mode", [[], ["--batch-size", "2"], ["--batch-size", "1"],
                                  ["--batch-size", "3", "--shuffle", "--seed", "5"]],
                         ids=["full-batch", "mini-batch", "per-sample", "shuffled-mini-batch"])
@pytest.mark.parametrize("bias", [[], ["--per-unit-bias", "--train-bias"]], ids=["shared", "per-unit"])
def test_backends_agree_in_every_mode(tmp_path, train_script, mode, bias):
    common = ["--dataset", "xor", "--sizes", "2,3,1", "--lr", "2", "--steps", "300", *mode, *bias]
    manual = train(train_script, tmp_path / "m", *common)
    autograd = train(train_script, tmp_path / "a", *common, "--backend", "autograd")
    assert list(manual) == list(autograd) and manual["round"] == list(range(1, 301))
    for column in manual:
        torch.testing.assert_close(f64(autograd[column]), f64(manual[column]), **TRAJECTORY, equal_nan=True,
                                   msg=lambda m, c=column: f"{c}: {m}")
    assert ("loss/full" in manual) == bool(mode)


def test_per_sample_sgd_on_the_seed_reproduces_the_seed_run(tmp_path, train_script):
    seed = train(train_script, tmp_path / "seed", "--steps", "500")
    # --shuffle takes the mini-batch path (indexing a drawn order) even for one sample
    per_sample = train(train_script, tmp_path / "ps", "--steps", "500", "--batch-size", "1", "--shuffle")
    for column in seed:
        assert same_history({column: per_sample[column]}, {column: seed[column]}), column  # bitwise
    assert per_sample["loss/full"] == seed["loss/total"]


def test_full_batch_of_copies_equals_one_sample(tmp_path, train_script):
    one = train(train_script, tmp_path / "one", "--steps", "500")
    for n in (4, 3):
        data = tmp_path / f"copies{n}.json"
        data.write_text(json.dumps({"inputs": [[0.05, 0.10]] * n, "targets": [[0.01, 0.99]] * n}))
        copies = train(train_script, tmp_path / f"c{n}", "--steps", "500", "--data", data)
        for column in one:  # equal up to the order of summation over the copies
            torch.testing.assert_close(f64(copies[column]), f64(one[column]), **TRAJECTORY, equal_nan=True,
                                       msg=lambda m, c=column: f"{n} copies, {c}: {m}")


@given(networks_and_data())
def test_batch_gradient_is_the_mean_of_per_sample_gradients(case):
    """torch.func per-sample gradients (vmap of grad) are an independent check."""
    model, inputs, targets = case
    params = {n: p.detach() for n, p in model.named_parameters()}

    def loss_one(p, x, t):  # one sample: (n_in,), (n_out,)
        return half_sse(torch.func.functional_call(model, p, (x[None],)), t[None])

    per_sample = torch.func.vmap(torch.func.grad(loss_one), in_dims=(None, 0, 0))(params, inputs, targets)
    batch = manual_gradients(model, inputs, targets)
    for name in params:
        torch.testing.assert_close(batch[name], per_sample[name].mean(0), **EXACT_ISH,
                                   msg=lambda m, name=name: f"∂E/∂{name}: {m}")


def test_batches_in_data_order_last_one_smaller():
    x = torch.arange(5, dtype=DTYPE)[:, None]
    stream = iter(BatchStream(x, x, batch_size=2))
    seen = [next(stream)[0].flatten().tolist() for _ in range(4)]
    assert seen == [[0, 1], [2, 3], [4], [0, 1]]


def test_shuffled_order_is_seeded_and_covers_each_epoch():
    x = torch.arange(7, dtype=DTYPE)[:, None]
    draw = lambda seed: [next(s)[0].flatten().tolist() for s in [iter(BatchStream(x, x, 3, True, seed))]
                         for _ in range(6)]  # noqa: E731
    a, b, c = draw(1), draw(1), draw(2)
    assert a == b and a != c
    first_epoch = sorted(v for batch in a[:3] for v in batch)
    assert first_epoch == list(range(7)) and [len(batch) for batch in a[:3]] == [3, 3, 1]


def test_csv_and_json_data_give_the_same_run(tmp_path, train_script):
    rows = torch.cat([XOR_INPUTS, XOR_TARGETS], 1).tolist()
    (tmp_path / "xor.csv").write_text("i1,i2,t1\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    (tmp_path / "xor.json").write_text(json.dumps({"inputs": XOR_INPUTS.tolist(), "targets": XOR_TARGETS.tolist()}))
    assert [t.tolist() for t in load_data(tmp_path / "xor.csv", 1)] == [XOR_INPUTS.tolist(), XOR_TARGETS.tolist()]
    args = ["--sizes", "2,3,1", "--steps", "200", "--batch-size", "2"]
    from_csv = train(train_script, tmp_path / "csv", "--data", tmp_path / "xor.csv", *args)
    from_json = train(train_script, tmp_path / "json", "--data", tmp_path / "xor.json", *args)
    builtin = train(train_script, tmp_path / "builtin", "--dataset", "xor", *args)
    assert same_history(from_csv, from_json) and same_history(from_json, builtin)
    config = json.loads((tmp_path / "csv" / "config.json").read_text())
    assert config["data"].endswith("xor.csv") and len(config["meta"]["data_sha256"]) == 64


def test_full_loss_is_the_error_on_all_data(tmp_path, train_script):
    h = train(train_script, tmp_path / "fl", "--dataset", "xor", "--sizes", "2,3,1", "--steps", "3",
              "--batch-size", "1")
    model = BackpropNet((2, 3, 1))  # the same seeded init as the run's
    torch.testing.assert_close(h["loss/full"][0], half_sse(model(XOR_INPUTS), XOR_TARGETS).item(), **EXACT_ISH)
    torch.testing.assert_close(h["loss/total"][0], half_sse(model(XOR_INPUTS[:1]), XOR_TARGETS[:1]).item(),
                               **EXACT_ISH)


def test_init_file_shipped_with_the_package_is_the_seed(tmp_path, train_script):
    from torch_bp.core.deck import DECK_WEIGHTS_FILE
    default = train(train_script, tmp_path / "d", "--steps", "20")
    from_file = train(train_script, tmp_path / "f", "--steps", "20", "--init", DECK_WEIGHTS_FILE)
    assert same_history(default, from_file)


def test_large_networks_log_norms_not_every_scalar(tmp_path, train_script):
    g = torch.Generator().manual_seed(0)
    data = tmp_path / "wide.json"
    data.write_text(json.dumps({"inputs": torch.rand(8, 20, generator=g).tolist(),
                                "targets": torch.rand(8, 3, generator=g).tolist()}))
    h = train(train_script, tmp_path / "wide", "--data", data, "--sizes", "20,32,3", "--steps", "2")
    assert list(h)[5:] == ["weights/L1.w.norm", "bias/L1.b.norm", "weights/L2.w.norm", "bias/L2.b.norm",
                           "grad/L1.w.norm", "grad/L1.b.norm", "grad/L2.w.norm", "grad/L2.b.norm",
                           "curvature/sharpness", "curvature/two_over_lr"]
    model = BackpropNet((20, 32, 3))  # the run's seeded init
    torch.testing.assert_close(h["weights/L1.w.norm"][0], model.layers[0].weight.norm().item(), **EXACT_ISH)
    torch.testing.assert_close(h["bias/L2.b.norm"][0], model.layers[1].bias.abs().item(), **EXACT_ISH)
