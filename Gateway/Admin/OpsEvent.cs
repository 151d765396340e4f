namespace Gateway.Admin;

/// <summary>
/// One thing an operator wants to see on the status page: a destination ejected or recovered, a reload applied or
/// rejected, the fleet scaled, a worker replaced, a crash loop. <see cref="Kind"/> is one of <see cref="OpsEventKinds"/>.
/// </summary>
public sealed record OpsEvent(long Sequence, DateTimeOffset At, string Kind, string Subject, string Message);
