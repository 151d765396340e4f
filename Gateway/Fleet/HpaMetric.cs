namespace Gateway.Fleet;

/// <summary>A metric the autoscaler targets: its current average value per replica and the target.</summary>
public readonly record struct HpaMetric(string Name, double Current, double Target);
