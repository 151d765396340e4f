using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Config.Nginx;

/// <summary>
/// Hides a client's upgrade request from the forwarder: nginx passes an upgrade (WebSocket) only where the location
/// sends the Upgrade header on (<c>proxy_set_header Upgrade $http_upgrade</c>); elsewhere it is a plain request.
/// </summary>
internal sealed class NoUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => false;

    public Task<Stream> UpgradeAsync() => inner.UpgradeAsync();
}
