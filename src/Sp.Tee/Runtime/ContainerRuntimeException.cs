namespace Sp.Tee.Runtime;

/// <summary>
/// The container engine refused or failed a request of an <see cref="IContainerRuntime"/>, with the engine's own
/// message. An implementation turns its engine client's exceptions into this (or <see cref="ImageNotFoundException"/>),
/// so the loader never sees the engine's client library (only Sp.Tee.Runtime.Docker uses it).
/// </summary>
public class ContainerRuntimeException(string message, Exception? innerException = null) : Exception(message, innerException);

/// <summary>The image is not (or no longer) in the engine: e.g. another loader of the same engine removed it.</summary>
public sealed class ImageNotFoundException(string message, Exception? innerException = null) : ContainerRuntimeException(message, innerException);
