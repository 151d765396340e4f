namespace Gateway.Admin.Api;

/// <summary>One destination's runtime settings: its admin state and, when set, a weight in place of the config's.</summary>
public sealed record DestinationOverride(AdminState State, int? Weight, DateTimeOffset Since);
