namespace Sp.Tee.Runtime;

/// <summary>
/// The solution image breaks a rule of the loader (its USER, its VOLUMEs, its archive's sizes): the message, prefixed
/// "solution image refused: ", is the order's reason (its status message and the end of its log).
/// </summary>
public sealed class ImageRefusedException(string message) : Exception("solution image refused: " + message);
