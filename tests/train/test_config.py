"""graphkit.train.config: typed fields, unknown and misspelt keys, aliases, presets."""

from dataclasses import FrozenInstanceError, dataclass
from typing import ClassVar, Literal

import pytest

from graphkit.train.config import Config, Preset, config_error


@dataclass(frozen=True)
class DemoConfig(Config):
    hidden_channels: int = 16
    lr: float = 0.01
    patience: int | None = None
    mode: Literal["fast", "exact"] = "fast"
    weights: tuple[float, ...] = (1.0, 2.0)
    s: str | float = "sqrt"
    final_linear: bool = True

    source: ClassVar[str] = "the demo paper, Table 1"
    presets: ClassVar[dict[str, Preset]] = {
        "cora": Preset(hidden_channels=64),
        "csbm": Preset(source="a synthetic default", lr=0.1, runs=2),
        "prognn-cora/meta/0.2": Preset(lr=0.5),
    }
    aliases: ClassVar[dict] = {"hiddim": "hidden_channels", "tailact": ("final_linear", lambda v: not v)}

    def check(self):
        if self.hidden_channels < 1:
            raise config_error(self.__class__, f"hidden_channels must be >= 1, got {self.hidden_channels}")

    @classmethod
    def preset_name(cls, dataset, data_options=None):
        opts = data_options or {}
        return f"{dataset}/{opts['attack']}/{opts['ptb_rate']}" if "attack" in opts else dataset


def test_defaults_types_and_coercion():
    cfg = DemoConfig()
    assert cfg.runs == 1 and cfg.mode == "fast"
    cfg = DemoConfig(lr=1, weights=[1, 3], s=3)
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.weights == (1.0, 3.0) and cfg.s == 3.0
    for kwargs, match in [({"hidden_channels": "abc"}, "hidden_channels='abc' is not int"),
                          ({"hidden_channels": True}, "is not int"), ({"hidden_channels": 2.5}, "is not int"),
                          ({"mode": "slow"}, "mode='slow' is not 'fast' | 'exact'"),
                          ({"weights": ["a"]}, "is not a list of float"), ({"patience": 1.5}, "is not int | null"),
                          ({"hidden_channels": 0}, "hidden_channels must be >= 1"), ({"runs": 0}, "runs must be >= 1")]:
        with pytest.raises(ValueError, match=match):
            DemoConfig(**kwargs)


def test_unknown_keys_and_typos_name_the_valid_keys():
    with pytest.raises(ValueError, match=r"DemoConfig: unknown key 'lr_rate'.*valid keys: runs, hidden_channels"):
        DemoConfig.from_dict({"lr_rate": 0.1})
    with pytest.raises(ValueError, match=r"unknown key 'hiden_channels' \(did you mean 'hidden_channels'\?\)"):
        DemoConfig.from_dict({"hiden_channels": 8})
    with pytest.raises(AttributeError, match=r"DemoConfig has no key 'epoch'.*keys: runs"):
        DemoConfig().epoch  # noqa: B018
    with pytest.raises(FrozenInstanceError):
        DemoConfig().lr = 0.5


def test_aliases_from_dict_and_replace():
    cfg = DemoConfig.from_dict({"hiddim": 8, "tailact": True})
    assert cfg.hidden_channels == 8 and cfg.final_linear is False
    assert cfg.replace(tailact=False).final_linear is True
    assert cfg.replace(lr=0.3).to_dict() == {**cfg.to_dict(), "lr": 0.3}
    with pytest.raises(ValueError, match="unknown key"):
        cfg.replace(nope=1)


def test_presets_and_sources():
    assert DemoConfig.paper("cora").hidden_channels == 64
    assert DemoConfig.for_dataset("unknown") == DemoConfig()
    assert DemoConfig.source_for("cora") == "the demo paper, Table 1"
    assert DemoConfig.source_for("csbm") == "a synthetic default"
    assert DemoConfig.paper("prognn-cora", attack="meta", ptb_rate=0.2).lr == 0.5
    with pytest.raises(ValueError, match=r"no preset for 'pubmed'; presets: cora, csbm.*Use DemoConfig\(\)"):
        DemoConfig.paper("pubmed")


def test_coerce():
    assert DemoConfig.coerce(None) == DemoConfig()
    assert DemoConfig.coerce({"lr": 0.2}).lr == 0.2
    cfg = DemoConfig(lr=0.3)
    assert DemoConfig.coerce(cfg) is cfg

    @dataclass(frozen=True)
    class Other(Config):
        pass

    with pytest.raises(TypeError, match="expected a DemoConfig, got a Other"):
        DemoConfig.coerce(Other())
    with pytest.raises(TypeError, match="config must be a DemoConfig, a dict or None"):
        DemoConfig.coerce([1])
