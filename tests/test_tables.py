"""reportkit.analysis.tables.regression_table: layout, stars, labels, formatting."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest

from reportkit.analysis.models import Coef, ModelResult, ModelSpec, estimate
from reportkit.analysis.tables import RegressionTable, regression_table
from reportkit.errors import AnalysisError
from reportkit.i18n import Text

MINUS = "\u2212"


def _model(
    coefs: list[tuple[str, float, float, float]],
    *,
    fixed_effects: tuple[str, ...] = (),
    vcov: str = "cluster",
    cluster: tuple[str, ...] = ("brand",),
    n_clusters: tuple[int, ...] = (48,),
    n_obs: int = 4896,
    r2: float | None = 0.9123,
    r2_within: float | None = 0.1719,
    family: str = "loglog",
    pseudo_r2: float | None = None,
    warnings: tuple[str, ...] = (),
    df_t: int | None = None,
    resid_se: float | None = None,
    f: tuple[float, tuple[int, int | None]] | None = None,
) -> ModelResult:
    """A ModelResult with chosen numbers (term, estimate, std_error, p_value)."""
    spec = ModelSpec(outcome="y", regressors=tuple(t for t, *_ in coefs if t != "Intercept"),
                     fixed_effects=fixed_effects, family=family, vcov=vcov, cluster=cluster,
                     entity="brand", time="week")
    labels = {
        "cluster": Text(zh="按 brand 聚类（CRV1）", en="clustered by brand (CRV1)"),
        "hc1": Text(zh="稳健标准误（HC1）", en="heteroskedasticity-robust standard errors (HC1)"),
        "twoway": Text(zh="双向聚类（brand、week）", en="two-way clustered by brand and week (CRV1)"),
    }
    return ModelResult(
        spec=spec,
        coefficients=tuple(Coef(t, b, s, b / s, p, b - 2 * s, b + 2 * s) for t, b, s, p in coefs),
        n_obs=n_obs,
        n_clusters=n_clusters,
        r2=r2,
        r2_within=r2_within,
        adj_r2=None,
        pseudo_r2=pseudo_r2,
        log_likelihood=None,
        formula="y ~ x",
        vcov_label=labels[vcov],
        warnings=tuple(Text(zh=f"中文：{w}", en=w) for w in warnings),
        dropped_rows=0,
        family_label=Text(zh="双对数回归（OLS，弹性）", en="log-log regression (OLS, elasticities)")
        if family == "loglog"
        else Text(zh="Logit 回归", en="logit"),
        df_t=df_t,
        resid_se=resid_se,
        f_statistic=None if f is None else f[0],
        f_df=None if f is None else f[1],
        f_p_value=None if f is None else 0.01,
    )


@pytest.fixture(scope="module")
def two_models() -> tuple[ModelResult, ModelResult]:
    a = _model([("log_engagement", 0.3531, 0.0182, 0.0001), ("log_engagement_l1", -0.1504, 0.02, 0.03)],
               fixed_effects=("brand", "week"))
    b = _model([("log_engagement", 0.349, 0.021, 0.2), ("log_notes", 0.05, 0.01, 0.0)],
               fixed_effects=("brand", "category^week"), vcov="twoway", cluster=("brand", "week"),
               n_clusters=(48, 104), n_obs=1_234_567, r2_within=None, warnings=("log1p used for 'notes'",))
    return a, b


def test_layout_rows_and_columns(two_models):
    table = regression_table(two_models)
    assert isinstance(table, RegressionTable)
    frame = table.frame
    assert list(frame.columns) == ["变量", "(1)", "(2)"]
    assert frame["变量"].tolist() == [
        "log_engagement", "",
        "log_engagement_l1", "",
        "log_notes", "",
        "固定效应：品牌",
        "固定效应：周",
        "固定效应：类目 × 周",
        "标准误类型",
        "观测数",
        "聚类数",
        "R²",
        "组内 R²",
    ]
    assert table.kinds[:6] == ("coef", "se", "coef", "se", "coef", "se")
    assert frame["(1)"].tolist() == [
        "0.353***", "(0.018)",
        f"{MINUS}0.150**", "(0.020)",
        "", "",
        "是", "是", "否",
        "按 brand 聚类（CRV1）",
        "4,896",
        "48",
        "0.912",
        "0.172",
    ]
    assert frame["(2)"].tolist() == [
        "0.349", "(0.021)",
        "", "",  # a term the model does not have: both cells empty
        "0.050***", "(0.010)",
        "是", "否", "是",
        "双向聚类（brand、week）",
        "1,234,567",
        "48 / 104",
        "0.912",
        "—",  # not defined for this model
    ]
    assert all(isinstance(v, str) for v in frame.to_numpy().ravel())


def test_english_labels_names_and_note(two_models):
    table = regression_table(two_models, lang="en", names=["Baseline", "Interacted FE"])
    frame = table.frame
    assert list(frame.columns) == ["Variable", "Baseline", "Interacted FE"]
    labels = frame["Variable"].tolist()
    assert labels[6:] == [
        "Fixed effects: brand", "Fixed effects: week", "Fixed effects: category × week",
        "SE type", "N", "Clusters", "R²", "Within R²",
    ]
    assert frame.loc[6:8, "Baseline"].tolist() == ["Yes", "Yes", "No"]
    assert frame.loc[9, "Interacted FE"] == "two-way clustered by brand and week (CRV1)"
    assert table.note == "* p<0.1, ** p<0.05, *** p<0.01; standard errors in parentheses."
    assert table.warnings == ("Interacted FE: log1p used for 'notes'",)
    zh = regression_table(two_models)
    assert zh.note == "* p<0.1，** p<0.05，*** p<0.01；括号内为标准误。"
    assert zh.warnings == ("(2): 中文：log1p used for 'notes'",)


@pytest.mark.parametrize(
    ("p", "stars"),
    [(0.5, ""), (0.1, ""), (0.0999, "*"), (0.05, "*"), (0.04999, "**"), (0.01, "**"), (0.00999, "***"), (0.0, "***")],
)
def test_stars_at_the_thresholds(p, stars):
    table = regression_table([_model([("x", 1.0, 0.5, p)])])
    assert table.frame.loc[0, "(1)"] == "1.000" + stars


def test_custom_stars_and_no_stars():
    m = _model([("x", 1.0, 0.5, 0.04)])
    assert regression_table([m], stars=(0.05,)).frame.loc[0, "(1)"] == "1.000*"
    bare = regression_table([m], stars=(), lang="en")
    assert bare.frame.loc[0, "(1)"] == "1.000" and bare.note == "Standard errors in parentheses."
    assert regression_table([m], stars=(0.01, 0.05, 0.1)).note.startswith("* p<0.1，** p<0.05")
    with pytest.raises(AnalysisError, match="between 0 and 1"):
        regression_table([m], stars=(5,))


def test_terms_labels_intercept_last_and_tiny_numbers():
    m = _model([("Intercept", -12.3456, 1.2, 0.0), ("x", 0.000104, 0.0000183, 0.2), ("z", -2.0, 1.0, 0.5)])
    table = regression_table([m], decimals=2, lang="en")
    assert table.frame["Variable"].tolist()[:6] == ["x", "", "z", "", "Constant", ""]
    assert table.frame["(1)"].tolist()[:6] == [
        "0.00010", "(0.000018)",  # would round to 0.00: two significant digits instead
        f"{MINUS}2.00", "(1.00)",
        f"{MINUS}12.35***", "(1.20)",
    ]
    picked = regression_table([m], terms=["z"], term_labels={"z": "互动量（对数）"})
    assert picked.frame["变量"].tolist()[:2] == ["互动量（对数）", ""]
    assert picked.frame["变量"].tolist()[2] == "标准误类型"  # no fixed effects: no FE rows


def test_model_row_when_families_differ_and_pseudo_r2():
    a = _model([("x", 1.0, 0.5, 0.2)])
    b = _model([("x", 1.0, 0.5, 0.2)], family="logit", r2=None, r2_within=None, pseudo_r2=0.2346, vcov="hc1",
               cluster=(), n_clusters=())
    frame = regression_table([a, b], lang="en").frame.set_index("Variable")
    assert frame.loc["Model"].tolist() == ["log-log regression (OLS, elasticities)", "logit"]
    assert frame.loc["Pseudo R²"].tolist() == ["—", "0.235"]
    assert frame.loc["R²"].tolist() == ["0.912", "—"]
    assert frame.loc["Clusters"].tolist() == ["48", "—"]
    assert "Model" not in regression_table([a, a], lang="en").frame["Variable"].tolist()


def test_bad_arguments_raise(two_models):
    with pytest.raises(AnalysisError, match=re.escape("lang: expected one of 'zh', 'en'; got 'fr'")):
        regression_table(two_models, lang="fr")
    with pytest.raises(AnalysisError, match="expected 2 names"):
        regression_table(two_models, names=["only one"])
    with pytest.raises(AnalysisError, match=r"terms: 'clicks' not in any model"):
        regression_table(two_models, terms=["clicks"])
    with pytest.raises(AnalysisError, match="at least one model"):
        regression_table([])
    with pytest.raises(AnalysisError, match="expected a ModelResult"):
        regression_table([pd.DataFrame()])
    with pytest.raises(AnalysisError, match="decimals"):
        regression_table(two_models, decimals=-1)


def test_table_is_frozen_and_serialisable(two_models):
    table = regression_table(two_models)
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.note = ""  # type: ignore[misc]
    frame = table.frame
    frame.iloc[0, 1] = "changed"
    assert table.frame.iloc[0, 1] == "0.353***"
    json.dumps(table.to_dict(), ensure_ascii=False)


def test_table_from_real_estimates():
    rng = np.random.default_rng(2)
    n = 400
    df = pd.DataFrame({"g": rng.integers(0, 8, n), "x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] - 0.3 * df["z"] + 0.2 * df["g"] + rng.normal(size=n)
    pooled = estimate(df, outcome="y", regressors=["x"], controls=["z"], vcov="hc1")
    fe = estimate(df, outcome="y", regressors=["x"], controls=["z"], fixed_effects="g", vcov="cluster", cluster="g")
    frame = regression_table([pooled, fe], lang="en").frame.set_index("Variable")
    assert frame.loc["Fixed effects: g"].tolist() == ["No", "Yes"]
    assert frame.loc["SE type"].tolist() == ["heteroskedasticity-robust standard errors (HC1)", "clustered by g (CRV1)"]
    assert frame.loc["N"].tolist() == ["400", "400"]
    assert frame.loc["Clusters"].tolist() == ["—", "8"]
    assert frame.loc["z"].tolist()[0].startswith(MINUS)
    assert frame.loc["Within R²"].tolist()[0] == "—" and frame.loc["Within R²"].tolist()[1] != "—"
    assert frame.index.tolist()[4] == "Constant"


def test_f_chi2_and_residual_se_rows_where_they_apply():
    ols = _model([("x", 1.0, 0.5, 0.2)], df_t=47, resid_se=0.29397, f=(961.33792, (1, 47)))
    glm = _model([("x", 1.0, 0.5, 0.2), ("z", 2.0, 0.5, 0.2)], family="logit", r2=None, r2_within=None,
                 pseudo_r2=0.2346, vcov="hc1", cluster=(), n_clusters=(), f=(75.4085, (2, None)))
    frame = regression_table([ols, glm], lang="en").frame.set_index("Variable")
    assert frame.index.tolist()[-3:] == ["Residual SE", "F statistic (df)", "Wald χ² (df)"]
    assert frame.loc["Residual SE"].tolist() == ["0.294", "—"]
    assert frame.loc["F statistic (df)"].tolist() == ["961.338 (1, 47)", "—"]
    assert frame.loc["Wald χ² (df)"].tolist() == ["—", "150.817 (2)"]  # W = q·F
    zh = regression_table([ols, glm])
    assert zh.frame["变量"].tolist()[-3:] == ["残差标准误", "F 统计量（自由度）", "Wald χ²（自由度）"]
    assert zh.kinds[-3:] == ("resid_se", "f", "chi2")
    # only the rows that apply: no χ² row without a normal-inference model, none at all without F
    only_ols = regression_table([ols], lang="en").frame["Variable"].tolist()
    assert "Wald χ² (df)" not in only_ols and "F statistic (df)" in only_ols
    bare = regression_table([_model([("x", 1.0, 0.5, 0.2)])], lang="en").frame["Variable"].tolist()
    assert not {"Residual SE", "F statistic (df)", "Wald χ² (df)"} & set(bare)


def test_note_names_the_inference_of_each_column_when_they_differ():
    a = _model([("x", 1.0, 0.5, 0.2)], df_t=7)
    b = _model([("x", 1.0, 0.5, 0.2)], df_t=7)
    c = _model([("x", 1.0, 0.5, 0.2)], family="logit", vcov="hc1", cluster=(), n_clusters=())
    d = _model([("x", 1.0, 0.5, 0.2)], df_t=103)
    en = regression_table([a, b, c, d], lang="en", names=["A", "B", "C", "D"])
    assert en.note == ("* p<0.1, ** p<0.05, *** p<0.01; standard errors in parentheses. "
                       "p-values and confidence intervals from: A, B: t(7); C: normal; D: t(103).")
    zh = regression_table([a, b, c, d])
    assert zh.note == ("* p<0.1，** p<0.05，*** p<0.01；括号内为标准误。"
                       "p 值与置信区间来自：(1)、(2)：t 分布（自由度 7）；(3)：正态分布；(4)：t 分布（自由度 103）。")
    assert regression_table([a, b], lang="en").note == "* p<0.1, ** p<0.05, *** p<0.01; standard errors in parentheses."


def test_real_estimates_show_f_and_residual_se():
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame({"g": rng.integers(0, 8, n), "x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] - 0.3 * df["z"] + rng.normal(size=n)
    df["buy"] = (rng.random(n) < 1 / (1 + np.exp(-df["x"]))).astype(int)
    ols = estimate(df, outcome="y", regressors=["x"], controls=["z"], fixed_effects="g", vcov="cluster", cluster="g",
                   inference="analytic")
    logit = estimate(df, outcome="buy", regressors=["x"], family="logit", vcov="hc1")
    table = regression_table([ols, logit], lang="en")
    frame = table.frame.set_index("Variable")
    assert ols.f_df == (2, 7) and logit.f_df == (1, None)
    assert frame.loc["F statistic (df)"].tolist() == [f"{ols.f_statistic:.3f} (2, 7)", "—"]
    assert frame.loc["Wald χ² (df)"].tolist() == ["—", f"{logit.f_statistic:.3f} (1)"]
    assert frame.loc["Residual SE"].tolist() == [f"{ols.resid_se:.3f}", "—"]
    assert table.note.endswith("p-values and confidence intervals from: (1): t(7); (2): normal.")


def test_wild_bootstrap_is_named_under_the_table_even_when_every_column_uses_it():
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame({"g": rng.integers(0, 8, n), "x": rng.normal(size=n), "z": rng.normal(size=n)})
    df["y"] = 1 + 0.5 * df["x"] - 0.3 * df["z"] + rng.normal(size=n)
    one = estimate(df, outcome="y", regressors=["x"], fixed_effects="g", vcov="cluster", cluster="g")
    two = estimate(df, outcome="y", regressors=["x"], controls=["z"], fixed_effects="g", vcov="cluster", cluster="g")
    assert one.inference == two.inference == "wild"  # 8 clusters < 30: the default
    for lang, words in (("en", "restricted wild cluster bootstrap (WCR; 8 clusters"), ("zh", "限制性野聚类自助法（WCR，8 个聚类")):
        note = regression_table([one, two], lang=lang).note
        assert words in note, note
