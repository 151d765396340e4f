using System.Net;

namespace Gateway.Hardening;

/// <summary>
/// Set on a request that came through a trusted proxy: the connection's real peer and the X-Forwarded-For it sent, so the
/// upstream header keeps the whole chain (theirs, then the peer) while the request's client address is the real client.
/// </summary>
internal sealed record ForwardedChain(IPAddress Peer, string ForwardedFor);
