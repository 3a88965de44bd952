"""Analysis: engagement → conversion models, market trends, tables and plots."""

#: what the analysis modules import inside functions (so that importing them stays quick): a warm
#: kernel's template (reportkit.kernel_template) imports these too once it has imported this package
KERNEL_IMPORTS = (
    "matplotlib.pyplot", "seaborn", "pyfixest", "pyfixest.estimation", "statsmodels.api",
    "statsmodels.formula.api", "statsmodels.stats.outliers_influence", "statsmodels.stats.diagnostic",
    "statsmodels.tsa.stattools", "statsmodels.tsa.seasonal", "statsmodels.tsa.arima.model",
    "statsmodels.tsa.exponential_smoothing.ets", "statsmodels.tsa.forecasting.theta",
    "statsmodels.tsa.statespace.structural", "scipy.stats",
)
