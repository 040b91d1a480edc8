"use client";
/** A set of checked ids (the inbox's batch selection): toggle, set one, clear. */
import { useCallback, useState } from "react";

export interface CheckedSet {
  checked: ReadonlySet<string>;
  toggle: (id: string) => void;
  set: (id: string, on: boolean) => void;
  clear: () => void;
}

export function useCheckedSet(): CheckedSet {
  const [checked, setChecked] = useState<ReadonlySet<string>>(new Set());
  const set = useCallback((id: string, on: boolean) => {
    setChecked((current) => {
      if (current.has(id) === on) return current;
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }, []);
  const toggle = useCallback((id: string) => {
    setChecked((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);
  const clear = useCallback(() => setChecked(new Set()), []);
  return { checked, toggle, set, clear };
}
