/** The shortcut listener: the handlers of the moment of the keypress, never while typing or with a modifier. */
import { describe, expect, it } from "vitest";
import { isTypingTarget, type Shortcuts, shortcutListener } from "./use-keyboard-shortcuts";

function keyEvent(
  key: string,
  extra: { target?: object; metaKey?: boolean; ctrlKey?: boolean; altKey?: boolean } = {},
) {
  const event = {
    key,
    metaKey: extra.metaKey ?? false,
    ctrlKey: extra.ctrlKey ?? false,
    altKey: extra.altKey ?? false,
    target: (extra.target ?? { tagName: "BODY", isContentEditable: false }) as EventTarget,
    prevented: false,
    preventDefault() {
      event.prevented = true;
    },
  };
  return event;
}

describe("shortcutListener", () => {
  it("runs the handler the current render has when the key is pressed, not the one it was bound with", () => {
    const pressed: string[] = [];
    let shortcuts: Shortcuts = {};
    // Bound while the list is still empty, as on mount.
    const listener = shortcutListener(() => shortcuts);
    const before = keyEvent("j");
    listener(before);
    expect(pressed).toEqual([]);
    expect(before.prevented).toBe(false);

    // The list renders: the very first keypress afterwards must see it.
    shortcuts = { j: () => pressed.push("next of two items") };
    const first = keyEvent("j");
    listener(first);
    expect(pressed).toEqual(["next of two items"]);
    expect(first.prevented).toBe(true);

    shortcuts = { j: undefined, k: () => pressed.push("previous") };
    listener(keyEvent("j"));
    listener(keyEvent("k"));
    expect(pressed).toEqual(["next of two items", "previous"]);
  });

  it("leaves keys alone while the user types in a field or holds a modifier", () => {
    const pressed: string[] = [];
    const listener = shortcutListener(() => ({ a: () => pressed.push("approve") }));
    for (const tagName of ["INPUT", "TEXTAREA", "SELECT"]) {
      const event = keyEvent("a", { target: { tagName, isContentEditable: false } });
      listener(event);
      expect(event.prevented).toBe(false);
    }
    listener(keyEvent("a", { target: { tagName: "DIV", isContentEditable: true } }));
    listener(keyEvent("a", { metaKey: true }));
    listener(keyEvent("a", { ctrlKey: true }));
    listener(keyEvent("a", { altKey: true }));
    expect(pressed).toEqual([]);
    listener(keyEvent("a", { target: { tagName: "BUTTON", isContentEditable: false } }));
    expect(pressed).toEqual(["approve"]);
  });

  it("treats only the keys it was given as shortcuts, not names every object inherits", () => {
    const listener = shortcutListener(() => ({ j: () => {} }));
    for (const key of ["constructor", "toString", "__proto__", "Enter"]) {
      const event = keyEvent(key);
      expect(() => listener(event)).not.toThrow();
      expect(event.prevented).toBe(false);
    }
  });
});

describe("isTypingTarget", () => {
  it("knows text fields from other targets", () => {
    expect(isTypingTarget(null)).toBe(false);
    expect(isTypingTarget({ tagName: "BUTTON" } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget({ tagName: "TEXTAREA" } as unknown as EventTarget)).toBe(true);
  });
});
