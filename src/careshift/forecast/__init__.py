"""careshift.forecast: demand history → calibrated quantiles → staff per 15-minute interval.

Needs the optional ``forecast`` extra (numpy, pandas, lightgbm, holidays, scipy via
statsforecast, matplotlib). Nothing outside this package imports those at module level.

- ``frames``: long frames (``unique_id``, ``ds``, ``y``, exogenous) and their validation;
- ``series``: one series as arrays with its local calendar and holidays;
- ``baselines``: seasonal naive, hour-of-week climatology (static or trailing), last-k;
- ``models``: ``CountGBM``, the LightGBM Poisson mean with a calibrated negative binomial;
- ``statsforecast_models``: statsforecast AutoETS and MSTL as backtest candidates (trailing
  fit, forward run per origin, quantiles from their intervals);
- ``distributions``: count quantiles, prediction intervals, PIT recalibration, sample paths;
- ``metrics`` and ``backtest``: rolling-origin evaluation and model selection;
- ``aggregate``: coherent shift and day totals; ``monthly``: pooled seasonal model;
- ``adt`` and ``census``: stays from ADT events, census paths from arrivals and length of stay;
- ``requirements`` and ``risk``: floor/target ``IntervalCover`` per skill, and roster risk;
- ``plots``: calibration plot and fan chart (PNG).
"""
