namespace Gateway.Fleet;

/// <summary>A worker as the banner and /status show it.</summary>
public sealed record FleetWorkerInfo(string Id, int Pid, int Port, string Device, string State);
