namespace Gateway.RateLimits;

/// <summary>
/// What <see cref="RateAdmission.Admit"/> decided: refused by check <c>Limit</c> with its <c>Excess</c>, or passed after
/// <c>DelayMs</c>, set by check <c>Limit</c> with its <c>Excess</c> (Limit -1 when no check delays it).
/// </summary>
internal readonly record struct RateDecision(bool Rejected, int Limit, long Excess, long DelayMs);
