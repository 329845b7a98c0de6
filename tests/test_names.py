import pytest

from hooks.names import SITES, hook_name, hook_names_for, resolve_layers


def test_hook_name_formats_site_and_layer():
    assert hook_name(3, "resid_pre") == "blocks.3.hook_resid_pre"
    assert hook_name(0) == "blocks.0.hook_resid_post"


def test_unknown_site_is_rejected_with_the_valid_ones():
    with pytest.raises(ValueError, match="resid_post"):
        hook_name(0, "residual")


@pytest.mark.parametrize(
    "layers, expected",
    [(None, [0, 1, 2, 3]), (2, [2]), (range(1, 3), [1, 2]), ([-1, 0], [3, 0]), ((3, 1), [3, 1])],
)
def test_resolve_layers(layers, expected):
    assert resolve_layers(layers, 4) == expected


@pytest.mark.parametrize(
    "layers, error",
    [
        ([4], ValueError),
        ([-5], ValueError),
        ([], ValueError),
        ([1, 1], ValueError),
        ([1.0], TypeError),
        ([True], TypeError),
    ],
)
def test_resolve_layers_rejects_bad_requests(layers, error):
    with pytest.raises(error):
        resolve_layers(layers, 4)


def test_every_site_exists_on_a_tiny_model(tiny):
    for site in SITES:
        assert hook_names_for(tiny, [0, 3], site) == [hook_name(0, site), hook_name(3, site)]
