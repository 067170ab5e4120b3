/**
 * A native <select> dressed as a click-ui field: the platform's own keyboard handling and
 * screen-reader support, with a real <label for>.
 */
import { InputWrapper } from '@clickhouse/click-ui';
import type { ReactElement, ReactNode } from 'react';

export interface SelectOption {
  readonly value: string;
  readonly label: string;
}

export function SelectField({
  id,
  label,
  value,
  options,
  onChange,
  error,
  disabled,
  testId,
  required,
}: {
  readonly id: string;
  readonly label: ReactNode;
  readonly value: string;
  readonly options: readonly SelectOption[];
  readonly onChange: (value: string) => void;
  readonly error?: ReactNode;
  readonly disabled?: boolean;
  readonly testId?: string;
  readonly required?: boolean;
}): ReactElement {
  return (
    <InputWrapper id={id} label={label} error={error} disabled={disabled}>
      <select
        id={id}
        className="native-select"
        value={value}
        disabled={disabled}
        required={required}
        aria-invalid={error ? true : undefined}
        onChange={(event) => onChange(event.target.value)}
        data-testid={testId}
      >
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </InputWrapper>
  );
}
