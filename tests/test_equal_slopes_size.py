"""Size of the engagement chapter's equal-slopes test on the demo's design: 48 brands in 6
categories, 2 lags (5 restrictions), AR(1) engagement and conversion shocks.

The simulator's lag elasticities are common to all categories (:mod:`reportkit.data.simulate`), so
at 5 % the joint test that the long-run elasticity is equal across categories must reject about
5 % of its panels. The cluster-robust Wald statistic against F(5, 47) rejects too often (13 of these
100 seeded panels); its restricted wild cluster bootstrap p-value, which the report shows below
100 clusters (reportkit.analysis.model_data.WILD_JOINT_BELOW), must not. Seeds 1000–1099, fixed: the counts are those of these panels, not a random draw.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

from reportkit.analysis.heterogeneity import interaction_model
from reportkit.data.simulate import simulate_panel

pytestmark = pytest.mark.slow

SEEDS = range(1000, 1100)


def test_the_equal_slopes_test_rejects_at_most_its_level_when_slopes_are_equal():
    wild = analytic = 0
    for seed in SEEDS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecations raised inside pyfixest
            result = interaction_model(simulate_panel(seed).data, n_lags=2)
        assert result.method == "wild_bootstrap" and (result.df_num, result.df_denom) == (5, 47)
        assert result.p_value_f == pytest.approx(stats.f.sf(result.f_stat, 5, 47), rel=1e-12)
        wild += result.p_value < 0.05
        analytic += result.p_value_f < 0.05
    print(f"\nequal-slopes test at 5% on {len(SEEDS)} equal-slope panels: wild bootstrap {wild}, F(5, 47) {analytic}")
    assert wild <= 8  # 5 expected; binomial sd 2.2
    assert analytic >= 10  # the reason for the bootstrap: the F reference over-rejects here
    assert np.isfinite(result.f_stat)
