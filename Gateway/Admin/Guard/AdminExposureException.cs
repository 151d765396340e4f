namespace Gateway.Admin.Guard;

/// <summary>The admin listener would be reachable off loopback without a token: the gateway refuses to start.</summary>
public sealed class AdminExposureException(string message) : InvalidOperationException(message);
