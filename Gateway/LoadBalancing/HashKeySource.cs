namespace Gateway.LoadBalancing;

public enum HashKeySource
{
    Header,
    Cookie,
    Query,
    Path,
    ClientIp,
}
