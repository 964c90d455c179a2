using Fleet502.Protos.V1;

namespace Fleet502.Agent.Sources.Listeners;

/// <summary>
/// One listening socket as a /proc/net table row, before it becomes a <see cref="Listener"/>:
/// the address as its 4 or 16 network-order bytes, a unix path as a slice of the reader's buffer.
/// </summary>
public readonly record struct RawListener(Transport Transport, UInt128 Address, ushort Port, ulong Inode, int PathOffset, int PathLength);
